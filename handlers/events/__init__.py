"""Events people are invited to (club meetings today; the pôle's workshops and thematic days
tomorrow): the date poll, the invitation with its calendar file and answers, e-mail invitations,
the personal calendar feed, reminders and attendance, whatever the audience."""
