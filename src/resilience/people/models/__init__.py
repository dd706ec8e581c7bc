from resilience.people.models.households import Household
from resilience.people.models.imports import ImportJob
from resilience.people.models.memberships import Membership
from resilience.people.models.organisations import Organisation
from resilience.people.models.pairings import Pairing
from resilience.people.models.residents import Resident
from resilience.people.models.volunteers import Volunteer

__all__ = ["Household", "Membership", "Organisation", "Pairing", "Resident", "Volunteer"]
