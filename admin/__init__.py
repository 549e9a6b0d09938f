"""piccolo-admin over the hrsys tables, mounted at ``/admin``, for administrators signed in to hrsys.

- :mod:`admin.tables`: Piccolo table classes derived from the SQLAlchemy models.
- :mod:`admin.engine`: the shared Piccolo engine (SQLite or PostgreSQL).
- :mod:`admin.policy`: what may be written, and how a write is prepared (pure).
- :mod:`admin.site`: one site per process and database; hrsys sign-in instead of Piccolo's.
- :mod:`admin.gate`: the sign-in page for browsers and the CSRF hand-over, before the guard.
- :mod:`admin.writes`: audited writes in one transaction, audited reads of personal data, sign-out.
- :mod:`admin.app`: the mount and the Litestar plugin that ``hrsys.app.create_app`` uses.
"""
