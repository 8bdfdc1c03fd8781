"""Events people are invited to (club meetings, the pôle's workshops and thematic days): the date
poll, the invitation with its calendar file and answers (``rsvp``), e-mail invitations, the
personal calendar feed, reminders and attendance, whatever the audience (a club's members, the
pôle's, or named guests)."""
