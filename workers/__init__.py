"""Job execution: the job store, the runner that adapts engines, Celery tasks and the local executor."""
