"""Web pages for staff, HR officers and task-force leads (server-rendered, Thai and English)."""
