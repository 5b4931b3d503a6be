"""Rules of the resume service as plain functions: no Flask, no nameko (see resumes, completeness, pdf)."""
