"""The Tekton Results records summary answered from local records."""
