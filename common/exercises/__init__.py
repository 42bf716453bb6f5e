"""Checks for the exercises at the end of each lab's README: each fails until its exercise is done.

A student runs one against their own working tree::

    ./run_all.sh check lab1 2           # or: python -m common.exercises lab1 2
    python -m common.exercises lab2     # lists lab 2's exercises

An exercise check is a grader check (it gets the grader's ``Context`` and fails with ``expect``),
registered with its lab, its number and what "done" means. It talks to the lab through its
ports only, so a student's own design passes as long as it behaves as the exercise asks.
Instructors' model solutions live apart from the labs, in docs/solutions/.
"""

from .registry import Exercise, UnknownExercise, exercise, exercises_of, find

__all__ = ["Exercise", "UnknownExercise", "exercise", "exercises_of", "find"]
