"""resume service: students' Chinese, English and attachment resumes, completeness, default delivery resume, PDF export."""
