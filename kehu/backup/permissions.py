"""Who may see and make backups: administrators only (a backup holds every
customer of the company, whatever their team)."""

from kehu.org.policies import policy_for


def can_manage_backups(user) -> bool:
    """Administrators; ``None`` is the system itself (the schedule, the command line)."""
    return user is None or policy_for(user).is_admin
