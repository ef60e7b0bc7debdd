"""Pages of the handover part: move-in (acceptance, notices, appointments), the handover
with its inspection and signature, certificate files, follow-ups and contact forms.

Every page exists only where HQ switched the plugin on (``plugin_name``); every record is
looked up in the user's scope (another branch's id is a 404); every change is one
transaction, and a refusal changes nothing and says why."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm.exc import StaleDataError

from portal.plugin_api import (
    STALE, commit_and_return as _act, page_branch, plugin_branches,
    Customer, PortalView, TicketError, can, commit_change, db, scope, sees_all_branches, or_404 as _or_404,
)

from .. import NAME, messages
from ..sales.models import Building, Contract, Project, Unit
from . import certificates, followup, inspection, move_in
from .common import as_id, in_scope, local_today, settings_of, zone_of
from .labels import CALLBACK_STATES, CERTIFICATE_TONES, FOLLOWUP_CHANNELS, HANDOVER_STATES
from .models import (
    EstateCertificate, EstateContactForm, EstateFollowup, EstateHandover, EstateMoveInNotice,
)

#: Makes the part's templates findable (templates/real_estate/handover/...).
blueprint = Blueprint("real_estate_handover", __name__, template_folder="templates")

DOCUMENT_LOCALE = "zh_CN"  # printed papers go to Chinese owners, whatever the officer reads
PAGE = 50
T = "real_estate/handover/"


def _may_work(code, branch_id) -> bool:
    return can(code, plugin=NAME, branch_id=branch_id) and settings_of(branch_id) is not None


def _search_pattern(raw):
    text = (raw or "").strip()[:60]
    if not text:
        return text, None
    return text, text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _keyset(query, model, preset_args):
    after = as_id(request.args.get("after"))
    if after:
        query = query.filter(model.id < after)
    rows = query.order_by(model.id.desc()).limit(PAGE).all()
    older = url_for(".index", after=rows[-1].id, **preset_args) if len(rows) == PAGE else None
    return rows, older


# --- move-in ---------------------------------------------------------------------------------------

class MoveInView(PortalView):
    """二、4 and 9: completion acceptance, move-in notices, handover appointments."""

    plugin_name = NAME
    permission = "estate.aftersales"

    @expose("/")
    def index(self):
        q, pattern = _search_pattern(request.args.get("q"))
        query = scope(db.session.query(Building), Building).join(Project, Building.project_id == Project.id).filter(
            Building.deleted_at.is_(None))
        if pattern:
            query = query.filter(or_(Building.name.like(pattern, escape="\\"),
                                     Project.name.like(pattern, escape="\\")))
        accepted = request.args.get("accepted", "")
        if accepted == "yes":
            query = query.filter(Building.completion_accepted_on.isnot(None))
        elif accepted == "no":
            query = query.filter(Building.completion_accepted_on.is_(None))
        rows, older = _keyset(query, Building, {"q": q, "accepted": accepted})
        ids = [b.id for b in rows] or [0]
        sold = dict(db.session.execute(select(Unit.building_id, func.count(Unit.id)).where(
            Unit.building_id.in_(ids), Unit.deleted_at.is_(None), Unit.state == "sold").group_by(Unit.building_id))
            .all())
        N = EstateMoveInNotice
        unsent = dict(db.session.execute(select(Unit.building_id, func.count(N.id)).join(Unit, N.unit_id == Unit.id)
                                         .where(Unit.building_id.in_(ids), N.deleted_at.is_(None),
                                                N.sent_on.is_(None)).group_by(Unit.building_id)).all())
        return self.render(T + "move_in.html", rows=rows, older=older, q=q, accepted=accepted, sold=sold,
                           unsent=unsent)

    def _building(self, building_id):
        return _or_404(in_scope(Building, building_id))

    @expose("/building/<int:building_id>")
    def building(self, building_id):
        building = self._building(building_id)
        units = move_in.live_units(building)
        ids = [u.id for u in units] or [0]
        notices = {n.unit_id: n for n in db.session.scalars(select(EstateMoveInNotice).where(
            EstateMoveInNotice.unit_id.in_(ids), EstateMoveInNotice.deleted_at.is_(None)))}
        handovers = {h.unit_id: h for h in db.session.scalars(select(EstateHandover).where(
            EstateHandover.unit_id.in_(ids), EstateHandover.deleted_at.is_(None),
            EstateHandover.state.in_(("scheduled", "done"))))}
        return self.render(
            T + "building.html", building=building, units=units, notices=notices, handovers=handovers,
            unit_states=messages.UNIT_STATES, methods=messages.NOTICE_METHODS, today=local_today(building.branch),
            may_work=_may_work("estate.aftersales", building.branch_id),
            liaisons=move_in.liaison_choices(building.branch_id),
            company=building.project.property_company if building.project else "",
        )

    @expose("/building/<int:building_id>/accept", methods=("POST",))
    def accept(self, building_id):
        building = self._building(building_id)
        return _act(lambda: move_in.accept_building(building, request.form.get("accepted_on"), current_user,
                                                    request.form.get("seen_version")),
                    _("Completion acceptance recorded."), url_for(".building", building_id=building.id))

    @expose("/building/<int:building_id>/notices", methods=("POST",))
    def notices(self, building_id):
        building = self._building(building_id)
        made = []

        def run():
            made.extend(move_in.generate_notices(building, current_user))
        ok = commit_change(run, _("Move-in notices generated."), str(STALE))
        if ok and not made:
            flash(_("Every sold unit has its move-in notice already."), "info")
        return redirect(url_for(".building", building_id=building.id))

    def _notice(self, notice_id):
        return _or_404(in_scope(EstateMoveInNotice, notice_id))

    @expose("/notice/<int:notice_id>/sent", methods=("POST",))
    def sent(self, notice_id):
        notice = self._notice(notice_id)
        form = request.form
        return _act(lambda: move_in.record_sent(notice, form.get("method"), form.get("tracking_number"),
                                                form.get("sent_on"), current_user, form.get("seen_version")),
                    _("Sending recorded."), url_for(".building", building_id=notice.unit.building_id))

    @expose("/notice/<int:notice_id>/print")
    def printable(self, notice_id):
        """入住通知单, always in Chinese."""
        notice = self._notice(notice_id)
        unit = notice.unit
        with force_locale(DOCUMENT_LOCALE):
            return self.render(T + "notice_print.html", notice=notice, unit=unit, building=unit.building,
                               project=unit.building.project, branch=notice.branch, customer=notice.customer,
                               contract=notice.contract,
                               method=messages.label(messages.NOTICE_METHODS, notice.method or ""))

    @expose("/unit/<int:unit_id>/schedule", methods=("POST",))
    def schedule(self, unit_id):
        unit = _or_404(in_scope(Unit, unit_id))
        form = request.form
        made = []

        def run():
            made.append(move_in.schedule_handover(unit, form.get("day"), form.get("time"), form.get("liaison_id"),
                                                  form.get("company_contact"), current_user))
        if commit_change(run, _("Handover appointment made."), str(STALE)):
            return redirect(url_for("handover_handover.details", handover_id=made[0].id))
        return redirect(url_for(".building", building_id=unit.building_id))


# --- the handover ----------------------------------------------------------------------------------

HANDOVER_PRESETS = (("week", _l("This week")), ("scheduled", _l("Scheduled")), ("done", _l("Handed over")),
                    ("all", _l("All")))


class HandoverView(PortalView):
    """交房: the inspection, keys, meters, the owner's signature; the printed record."""

    plugin_name = NAME

    permission = ("estate.aftersales", "estate.liaison")

    @expose("/")
    def index(self):
        from .summary import week_bounds

        preset = request.args.get("show", "scheduled")
        if preset not in dict(HANDOVER_PRESETS):
            preset = "scheduled"
        H = EstateHandover
        query = scope(db.session.query(H), H).filter(H.deleted_at.is_(None)).join(Unit, H.unit_id == Unit.id) \
            .join(Customer, H.customer_id == Customer.id)
        if preset == "week":
            start, end = week_bounds(current_user.branch)
            query = query.filter(H.state == "scheduled", H.scheduled_at >= start, H.scheduled_at < end)
        elif preset in ("scheduled", "done"):
            query = query.filter(H.state == preset)
        q, pattern = _search_pattern(request.args.get("q"))
        if pattern:
            query = query.filter(or_(Unit.number.like(pattern, escape="\\"), Customer.name.like(pattern, escape="\\"),
                                     Customer.phone.like(pattern, escape="\\")))
        rows, older = _keyset(query, H, {"show": preset, "q": q})
        return self.render(T + "handovers.html", rows=rows, older=older, preset=preset, presets=HANDOVER_PRESETS,
                           q=q, states=HANDOVER_STATES)

    def _handover(self, handover_id):
        return _or_404(in_scope(EstateHandover, handover_id))

    def _page(self, handover, form=None, errors=None):
        settings = settings_of(handover.branch_id) or {}
        meters = inspection.meters_of(settings) if settings else list((handover.meter_readings or {}).keys())
        if form is None:
            form = {"keys_handed": "" if handover.keys_handed is None else str(handover.keys_handed),
                    "signed_by": handover.signed_by or (handover.customer.name if handover.customer else ""),
                    "signature": handover.signature or ""}
            for index, item in enumerate(handover.checklist_items or []):
                entry = (handover.checklist or {}).get(item, {})
                form[f"judgement-{index}"] = entry.get("judgement", "")
                form[f"note-{index}"] = entry.get("note", "")
            for meter in meters:
                form[f"meter-{meter}"] = (handover.meter_readings or {}).get(meter, "")
        missing = [messages.explain(p) for p in inspection.refusals(handover, settings)] \
            if settings and handover.state == "scheduled" else []
        return self.render(
            T + "handover.html", handover=handover, unit=handover.unit, customer=handover.customer, form=form,
            errors=errors or {}, items=[(i, item, inspection.item_label(item))
                                       for i, item in enumerate(handover.checklist_items or [])],
            meters=[(m, messages.label(messages.METERS, m)) for m in meters], judgements=messages.JUDGEMENTS,
            states=HANDOVER_STATES, missing=missing, unit_states=messages.UNIT_STATES,
            item_label=inspection.item_label,
            may_work=handover.state == "scheduled" and _may_work("estate.aftersales", handover.branch_id),
            local_when=handover.scheduled_at.astimezone(zone_of(handover.branch)),
            company=handover.unit.building.project.property_company,
            can_see_tickets=can("ticket.view", branch_id=handover.branch_id),
        )

    @expose("/<int:handover_id>")
    def details(self, handover_id):
        return self._page(self._handover(handover_id))

    @expose("/<int:handover_id>/save", methods=("POST",))
    def save(self, handover_id):
        handover = self._handover(handover_id)
        complete = request.form.get("action") == "complete"
        try:
            if complete:
                inspection.complete(handover, request.form, current_user, request.form.get("seen_version"))
            else:
                inspection.save(handover, request.form, current_user, request.form.get("seen_version"))
            db.session.commit()
        except TicketError as exc:
            db.session.rollback()
            for message in exc.messages:
                flash(message, "error")
            return self._page(self._handover(handover_id), form=request.form, errors=exc.fields), 422
        except StaleDataError:  # a colleague saved at the same moment: keep nothing, say so
            db.session.rollback()
            flash(str(STALE), "error")
            return redirect(url_for(".details", handover_id=handover_id))
        flash(_("The unit is handed over.") if complete else _("Saved."), "success")
        return redirect(url_for(".details", handover_id=handover_id))

    @expose("/<int:handover_id>/cancel", methods=("POST",))
    def cancel(self, handover_id):
        handover = self._handover(handover_id)
        return _act(lambda: inspection.cancel(handover, current_user, request.form.get("seen_version")),
                    _("Appointment cancelled."), url_for(".details", handover_id=handover.id))

    @expose("/<int:handover_id>/record")
    def record(self, handover_id):
        """交房验收记录, always in Chinese."""
        handover = self._handover(handover_id)
        with force_locale(DOCUMENT_LOCALE):
            return self.render(
                T + "handover_print.html", handover=handover, unit=handover.unit, customer=handover.customer,
                branch=handover.branch, project=handover.unit.building.project,
                items=[(inspection.item_label(item), str(messages.JUDGEMENTS.get(
                    (handover.checklist or {}).get(item, {}).get("judgement") or "", "")),
                        (handover.checklist or {}).get(item, {}).get("note", ""))
                       for item in handover.checklist_items or []],
                meters=[(messages.label(messages.METERS, m), v) for m, v in (handover.meter_readings or {}).items()],
                local_when=handover.scheduled_at.astimezone(zone_of(handover.branch)),
            )


# --- property certificates ---------------------------------------------------------------------------

CERTIFICATE_PRESETS = (("warn", _l("Deadline close or passed")), ("overdue", _l("Deadline passed")),
                       ("open", _l("Open")), ("done", _l("Obtained")), ("all", _l("All")))


class CertificateView(PortalView):
    """产权证: the file of each handed-over unit, its log, the deadline and its warnings."""

    plugin_name = NAME
    permission = "estate.aftersales"

    @expose("/")
    def index(self):
        preset = request.args.get("show", "warn")
        if preset not in dict(CERTIFICATE_PRESETS):
            preset = "warn"
        C = EstateCertificate
        query = certificates.files().join(Unit, C.unit_id == Unit.id).join(Customer, C.customer_id == Customer.id)
        branch = current_user.branch
        today = local_today(branch)
        settings = settings_of(branch.id) if not sees_all_branches() else None
        if preset == "warn":
            # HQ looks across branches: the widest warning window of the branches decides the cut.
            days_settings = settings or {"certificate_warning_days": max(
                [int(settings_of(b.id)["certificate_warning_days"]) for b in plugin_branches(NAME)] or [14])}
            query = query.filter(certificates.warn_condition(today, days_settings))
        elif preset == "overdue":
            query = query.filter(certificates.overdue_condition(today))
        elif preset == "open":
            query = query.filter(C.obtained_on.is_(None))
        elif preset == "done":
            query = query.filter(C.obtained_on.isnot(None))
        q, pattern = _search_pattern(request.args.get("q"))
        if pattern:
            query = query.filter(or_(Unit.number.like(pattern, escape="\\"), Customer.name.like(pattern, escape="\\")))
        rows, older = _keyset(query, C, {"show": preset, "q": q})
        statuses = {c.id: certificates.status(c, settings_of(c.branch_id) or {"certificate_months": 3,
                                                                               "certificate_warning_days": 14},
                                              local_today(c.branch)) for c in rows}
        return self.render(T + "certificates.html", rows=rows, older=older, preset=preset,
                           presets=CERTIFICATE_PRESETS, q=q, statuses=statuses,
                           labels=messages.CERTIFICATE_STATUSES, tones=CERTIFICATE_TONES)

    def _certificate(self, certificate_id):
        return _or_404(in_scope(EstateCertificate, certificate_id))

    @expose("/<int:certificate_id>")
    def details(self, certificate_id):
        certificate = self._certificate(certificate_id)
        settings = settings_of(certificate.branch_id)
        today = local_today(certificate.branch)
        code = certificates.status(certificate, settings, today) if settings else ""
        return self.render(T + "certificate.html", certificate=certificate, status=code,
                           status_label=messages.CERTIFICATE_STATUSES.get(code, ""), tone=CERTIFICATE_TONES.get(code),
                           today=today, may_work=_may_work("estate.aftersales", certificate.branch_id))

    @expose("/<int:certificate_id>/log", methods=("POST",))
    def log(self, certificate_id):
        certificate = self._certificate(certificate_id)
        form = request.form
        return _act(lambda: certificates.log_submission(certificate, form.get("submitted_on"), form.get("office"),
                                                        form.get("documents"), current_user,
                                                        form.get("seen_version")),
                    _("Submission recorded."), url_for(".details", certificate_id=certificate.id))

    @expose("/<int:certificate_id>/obtained", methods=("POST",))
    def obtained(self, certificate_id):
        certificate = self._certificate(certificate_id)
        form = request.form
        return _act(lambda: certificates.mark_obtained(certificate, form.get("obtained_on"),
                                                       form.get("certificate_number"), current_user,
                                                       form.get("seen_version")),
                    _("Certificate obtained."), url_for(".details", certificate_id=certificate.id))


# --- follow-up ------------------------------------------------------------------------------------------

FOLLOWUP_PRESETS = (("open", _l("No feedback yet")), ("feedback", _l("With feedback")), ("all", _l("All")))


def _owners(branch_id) -> list:
    """Owners of the branch: the buyers of its registered sales contracts."""
    ids = select(Contract.customer_id).where(Contract.branch_id == branch_id, Contract.deleted_at.is_(None))
    return scope(db.session.query(Customer), Customer).filter(
        Customer.id.in_(ids), Customer.deleted_at.is_(None)).order_by(Customer.name).limit(500).all()


class FollowupView(PortalView):
    """二、12: letters, faxes and calls to owners, logged as callbacks; what they said."""

    plugin_name = NAME
    permission = "estate.aftersales"

    @expose("/")
    def index(self):
        preset = request.args.get("show", "open")
        if preset not in dict(FOLLOWUP_PRESETS):
            preset = "open"
        F = EstateFollowup
        query = scope(db.session.query(F), F).filter(F.deleted_at.is_(None)).join(Customer, F.customer_id == Customer.id)
        if preset == "open":
            query = query.filter(F.feedback == "")
        elif preset == "feedback":
            query = query.filter(F.feedback != "")
        channel = request.args.get("channel", "")
        if channel in FOLLOWUP_CHANNELS:
            query = query.filter(F.channel == channel)
        q, pattern = _search_pattern(request.args.get("q"))
        if pattern:
            query = query.filter(or_(Customer.name.like(pattern, escape="\\"),
                                     Customer.phone.like(pattern, escape="\\")))
        rows, older = _keyset(query, F, {"show": preset, "q": q, "channel": channel})
        branch = page_branch(NAME)
        return self.render(T + "followups.html", rows=rows, older=older, preset=preset, presets=FOLLOWUP_PRESETS,
                           q=q, channel=channel, channels=FOLLOWUP_CHANNELS, branch=branch,
                           branches=plugin_branches(NAME) if sees_all_branches() else [],
                           owners=_owners(branch.id) if branch else [],
                           today=local_today(branch) if branch else None,
                           may_work=branch is not None and _may_work("estate.aftersales", branch.id))

    @expose("/new", methods=("POST",))
    def new(self):
        branch = page_branch(NAME)
        if branch is None:
            abort(404)
        form = request.form
        customer = followup.customer_in_scope(form.get("customer_id"))
        return _act(lambda: followup.log_followup(customer, form.get("channel"), form.get("due_on"),
                                                  form.get("sent_on"), form.get("feedback"), current_user, branch.id),
                    _("Follow-up logged; it is in the callback queue."), url_for(".index", branch=branch.id))

    def _followup(self, followup_id):
        return _or_404(in_scope(EstateFollowup, followup_id))

    @expose("/<int:followup_id>")
    def details(self, followup_id):
        record = self._followup(followup_id)
        return self.render(T + "followup.html", record=record, channels=FOLLOWUP_CHANNELS,
                           callback_states=CALLBACK_STATES,
                           today=local_today(record.branch),
                           may_work=_may_work("estate.aftersales", record.branch_id),
                           callback_url=url_for("callback.details_view", id=record.callback_id)
                           if record.callback_id and can("callback.view") else None,
                           forms=db.session.scalars(select(EstateContactForm).where(
                               EstateContactForm.followup_id == record.id,
                               EstateContactForm.deleted_at.is_(None))).all())

    @expose("/<int:followup_id>/feedback", methods=("POST",))
    def feedback(self, followup_id):
        record = self._followup(followup_id)
        form = request.form
        return _act(lambda: followup.record_feedback(record, form.get("sent_on"), form.get("feedback"), current_user,
                                                     form.get("seen_version")),
                    _("Saved."), url_for(".details", followup_id=record.id))


# --- internal work contact forms ---------------------------------------------------------------------

CONTACT_PRESETS = (("waiting", _l("Awaiting a reply")), ("replied", _l("Replied")), ("all", _l("All")))


class ContactView(PortalView):
    """内部工作联系单: from, to (the branch leader), subject, content, the reply."""

    plugin_name = NAME

    permission = ("estate.aftersales", "estate.leadership")

    @expose("/")
    def index(self):
        preset = request.args.get("show", "waiting")
        if preset not in dict(CONTACT_PRESETS):
            preset = "waiting"
        C = EstateContactForm
        query = scope(db.session.query(C), C).filter(C.deleted_at.is_(None))
        if preset == "waiting":
            query = query.filter(C.replied_at.is_(None))
        elif preset == "replied":
            query = query.filter(C.replied_at.isnot(None))
        q, pattern = _search_pattern(request.args.get("q"))
        if pattern:
            query = query.filter(C.subject.like(pattern, escape="\\"))
        rows, older = _keyset(query, C, {"show": preset, "q": q})
        return self.render(T + "contact_forms.html", rows=rows, older=older, preset=preset, presets=CONTACT_PRESETS,
                           q=q, may_write=can("estate.aftersales", plugin=NAME))

    @expose("/new", methods=("GET", "POST"))
    def new(self):
        if not can("estate.aftersales", plugin=NAME):
            abort(403)
        branch = page_branch(NAME)
        if branch is None:
            abort(404)
        record = None
        if request.values.get("followup_id"):
            record = _or_404(in_scope(EstateFollowup, request.values.get("followup_id")))
            branch = record.branch
        form = request.form if request.method == "POST" else {
            "subject": _("Owner's feedback: %(name)s", name=record.customer.name) if record else "",
            "content": record.feedback if record else ""}
        errors = {}
        if request.method == "POST":
            try:
                made = followup.new_contact_form(branch.id, form.get("to_id"), form.get("subject"),
                                                 form.get("content"), form.get("followup_id"), current_user)
                db.session.commit()
            except TicketError as exc:
                db.session.rollback()
                errors = exc.fields
                for message in exc.messages:
                    flash(message, "error")
            else:
                flash(_("Contact form sent to %(name)s.", name=made.addressee.full_name or made.addressee.username),
                      "success")
                return redirect(url_for(".details", form_id=made.id))
        return self.render(T + "contact_new.html", form=form, errors=errors, record=record, branch=branch,
                           leaders=followup.leaders(branch.id),
                           branches=plugin_branches(NAME) if sees_all_branches() and record is None else [])

    def _form(self, form_id):
        return _or_404(in_scope(EstateContactForm, form_id))

    @expose("/<int:form_id>")
    def details(self, form_id):
        record = self._form(form_id)
        return self.render(T + "contact_form.html", record=record,
                           may_reply=record.replied_at is None and _may_work("estate.leadership", record.branch_id))

    @expose("/<int:form_id>/reply", methods=("POST",))
    def reply(self, form_id):
        record = self._form(form_id)
        return _act(lambda: followup.reply(record, request.form.get("reply"), current_user,
                                           request.form.get("seen_version")),
                    _("Reply recorded."), url_for(".details", form_id=record.id))


def register(admin, category) -> None:
    admin.add_view(MoveInView(name=_l("Move-in notices"), category=category, endpoint="handover_move_in",
                              url="/admin/estate/move-in"))
    admin.add_view(HandoverView(name=_l("Handovers"), category=category, endpoint="handover_handover",
                                url="/admin/estate/handovers"))
    admin.add_view(CertificateView(name=_l("Property certificates"), category=category,
                                   endpoint="handover_certificate", url="/admin/estate/certificates"))
    admin.add_view(FollowupView(name=_l("After-sales follow-up"), category=category, endpoint="handover_followup",
                                url="/admin/estate/followups"))
    admin.add_view(ContactView(name=_l("Internal contact forms"), category=category, endpoint="handover_contact",
                               url="/admin/estate/contact-forms"))
