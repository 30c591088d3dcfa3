"""The ceiling for benchmarks/intake.py: Flask and Flask-SQLAlchemy alone, one row a ticket.

POST /tickets validates nothing, inserts one row (subject, body, customer name, phone,
created_at) on PostgreSQL through psycopg 3, commits and answers 201 with the row as JSON: what
any ticket intake does at the least, on the app's own stack.

    DATABASE_URL=postgresql://postgres@127.0.0.1/bench_intake \\
        gunicorn -k gthread -w 2 --threads 8 --chdir benchmarks _intake_bare_app:app
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Mapped, mapped_column

URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1/bench_intake")

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = URL.replace("postgresql://", "postgresql+psycopg://", 1)
db = SQLAlchemy(app, session_options={"expire_on_commit": False})  # answer without reading the row back


class BareTicket(db.Model):
    __tablename__ = "bench_intake_bare_tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(db.String(200))
    body: Mapped[str] = mapped_column(db.Text)
    customer_name: Mapped[str] = mapped_column(db.String(120))
    phone: Mapped[str] = mapped_column(db.String(40))
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True))


@app.post("/tickets")
def create_ticket():
    data = request.get_json()
    ticket = BareTicket(subject=data["subject"], body=data["description"], customer_name=data["customer"]["name"],
                        phone=data["customer"]["phone"], created_at=datetime.now(timezone.utc))
    db.session.add(ticket)
    db.session.commit()
    return {"id": ticket.id, "subject": ticket.subject, "customer_name": ticket.customer_name,
            "phone": ticket.phone, "created_at": ticket.created_at.isoformat()}, 201


@app.get("/healthz")
def healthz():
    return "ok"


def reset() -> None:
    """An empty table, made before the web processes start (two would race to create it)."""
    with app.app_context():
        BareTicket.__table__.drop(db.engine, checkfirst=True)
        db.create_all()
