"""Scheduled jobs: their registry (jobs.py), the scheduler of a running bot (service.py), its job
store (store.py) and the choice of the one instance that runs it (leader.py)."""
