"""Prefect flows and the command line; importing this package applies newsevents' Prefect defaults first."""

from flows import prefect_env

prefect_env.apply()
