"""Lab 1: a user service over REST, built with Flask and served by Gunicorn."""
