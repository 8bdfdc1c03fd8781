"""One club meeting's invitation, as the calendar and mail tests both build on it."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from handlers.events.calendar import Invitation, Party

PARIS = ZoneInfo("Europe/Paris")

MEETING = Invitation(
    uid="club-rse-2027-03@rse-bot.vehiculedufutur.com",
    sequence=0,
    summary="Club RSE : bilan carbone des PME",
    start=datetime(2027, 3, 25, 10, 0, tzinfo=PARIS),
    end=datetime(2027, 3, 25, 12, 0, tzinfo=PARIS),
    organizer=Party("Pôle Véhicule du Futur", "club-rse@vehiculedufutur.com"),
    attendee=Party("Camille Lefèvre", "c.lefevre@alsace-emballages.fr"),
    dtstamp=datetime(2027, 3, 1, 8, 30, tzinfo=UTC),
    location="Technopôle de Mulhouse, salle Rhin",
    description="Ordre du jour :\n1. Tour de table\n2. Bilan carbone (méthode ADEME)",
)
