"""The family portal: families sign in with the pupil's login (they are not core users)."""
