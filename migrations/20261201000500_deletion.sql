-- Deleting an organization (issue 21): scheduled by an owner (`org:delete`), everyone loses
-- access at once, cancellable during a grace period (30 days unless the setting
-- `deletion_grace_days` says otherwise), then purged by a daily job: every row of the
-- organization, in every table, through the foreign keys' cascades — and nothing of any
-- other organization or of the users (their accounts, profiles and other memberships
-- stay). What outlives it is a tombstone: id, slug, name, who scheduled the deletion, when,
-- and when it was purged.

alter table public.organizations drop constraint organizations_status_check;
alter table public.organizations add constraint organizations_status_check
  check (status in ('pending-activation', 'active', 'deletion_scheduled'));
alter table public.organizations
  add column deletion_requested_at timestamptz,
  add column deletion_requested_by uuid references auth.users (id) on delete set null,
  add column purge_after timestamptz,
  add column status_before_deletion text check (status_before_deletion in ('pending-activation', 'active')),
  add constraint organizations_deletion_check
    check ((status = 'deletion_scheduled') = (purge_after is not null and status_before_deletion is not null));

create table private.deleted_organizations (
  id uuid primary key,
  slug text not null,
  name text not null,
  signup_user_id uuid,
  deletion_requested_by uuid,
  deletion_requested_at timestamptz not null,
  purged_at timestamptz not null default now()
);
revoke all on private.deleted_organizations from public;

-- Whether the organization may be used at all: it is not scheduled for deletion (one
-- that does not exist has nothing scheduled).
create function private.organization_usable(p_organization_id uuid)
returns boolean language sql stable security definer set search_path = '' as $$
  select coalesce((select o.status <> 'deletion_scheduled' from public.organizations o where o.id = p_organization_id), true)
$$;
revoke all on function private.organization_usable(uuid) from public;

-- The one check, now also refusing an organization scheduled for deletion.
create or replace function public.authorize(p_organization_id uuid, p_permission text)
returns boolean language sql stable security definer set search_path = '' as $$
  select p_permission = any (private.caller_permissions(p_organization_id))
     and private.session_meets_mfa(p_organization_id)
     and private.organization_usable(p_organization_id)
$$;

create or replace function private.member_organization_ids()
returns setof uuid language sql stable security definer set search_path = '' as $$
  select m.organization_id from public.organization_members m
  where m.user_id = (select auth.uid()) and private.session_meets_mfa(m.organization_id)
    and private.organization_usable(m.organization_id)
$$;

-- The caller's role; an organization scheduled for deletion answers `organization_deletion_scheduled`.
create or replace function private.caller_role(p_organization_id uuid)
returns text language plpgsql stable security definer set search_path = '' as $$
declare
  v_role text := coalesce(
    (select 'owner' where private.is_platform_admin()),
    (select m.role from public.organization_members m
     where m.organization_id = p_organization_id and m.user_id = auth.uid()));
begin
  if v_role is not null and not private.organization_usable(p_organization_id) then
    raise exception using errcode = 'PT410', message = 'organization_deletion_scheduled',
      detail = 'this organization is scheduled for deletion; an owner can cancel it until it is purged';
  end if;
  if v_role is not null and not private.session_meets_mfa(p_organization_id) then
    raise exception using errcode = '42501', message = 'mfa_required',
      detail = 'this organization requires two-factor authentication: verify a second factor (aal2) first';
  end if;
  return v_role;
end
$$;

-- An owner's own check for what a scheduled organization still allows: their role holds
-- `org:delete` (read from the tables directly, since authorize refuses everything there),
-- their session meets the MFA policy, and the organization is locked.
create function private.lock_organization_as_deleter(p_organization_id uuid)
returns public.organizations language plpgsql security definer set search_path = '' as $$
declare
  v_organization public.organizations;
begin
  if auth.uid() is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  end if;
  select * into v_organization from public.organizations where id = p_organization_id for update;
  if not found or not ('org:delete' = any (private.caller_permissions(p_organization_id))) then
    raise exception using errcode = '42501', message = 'not_owner', detail = 'only owners delete an organization';
  end if;
  if not private.session_meets_mfa(p_organization_id) then
    raise exception using errcode = '42501', message = 'mfa_required',
      detail = 'this organization requires two-factor authentication: verify a second factor (aal2) first';
  end if;
  return v_organization;
end
$$;
revoke all on function private.lock_organization_as_deleter(uuid) from public;

-- Schedules the deletion: `p_confirm_slug` must be the organization's slug. Again while
-- scheduled: the same answer.
create function public.request_organization_deletion(p_organization_id uuid, p_confirm_slug text)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_organization public.organizations := private.lock_organization_as_deleter(p_organization_id);
begin
  if p_confirm_slug is distinct from v_organization.slug then
    raise exception using errcode = '22023', message = 'confirmation_mismatch',
      detail = 'type the organization''s slug to confirm';
  end if;
  if v_organization.status <> 'deletion_scheduled' then
    update public.organizations set
      status_before_deletion = status, status = 'deletion_scheduled',
      deletion_requested_at = now(), deletion_requested_by = auth.uid(),
      purge_after = now() + make_interval(days => private.setting('deletion_grace_days', '30')::integer)
    where id = p_organization_id
    returning * into v_organization;
    perform private.audit(p_organization_id, 'organization.deletion_scheduled', null, null,
      jsonb_build_object('status', v_organization.status_before_deletion),
      jsonb_build_object('status', 'deletion_scheduled', 'purge_after', v_organization.purge_after));
  end if;
  return jsonb_build_object('organization_id', p_organization_id, 'status', v_organization.status,
                            'purge_after', v_organization.purge_after);
end
$$;
revoke all on function public.request_organization_deletion(uuid, text) from public, anon;
grant execute on function public.request_organization_deletion(uuid, text) to authenticated;

-- Cancels a scheduled deletion before the purge: everything is as it was.
create function public.cancel_organization_deletion(p_organization_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_organization public.organizations := private.lock_organization_as_deleter(p_organization_id);
begin
  if v_organization.status <> 'deletion_scheduled' then
    raise exception using errcode = 'PT409', message = 'deletion_not_scheduled', detail = 'nothing to cancel';
  end if;
  update public.organizations set
    status = status_before_deletion, status_before_deletion = null,
    deletion_requested_at = null, deletion_requested_by = null, purge_after = null
  where id = p_organization_id
  returning * into v_organization;
  perform private.audit(p_organization_id, 'organization.deletion_cancelled', null, null,
    jsonb_build_object('status', 'deletion_scheduled'), jsonb_build_object('status', v_organization.status));
  return jsonb_build_object('organization_id', p_organization_id, 'status', v_organization.status);
end
$$;
revoke all on function public.cancel_organization_deletion(uuid) from public, anon;
grant execute on function public.cancel_organization_deletion(uuid) to authenticated;

-- Purges the organizations whose grace period is over at `p_now`: a tombstone each, then
-- the organization's row, which cascades to every table holding its rows. Returns how
-- many were purged. Run daily by pg_cron; tests pass a later `p_now`.
create function private.purge_deleted_organizations(p_now timestamptz default now())
returns integer language plpgsql security definer set search_path = '' as $$
declare
  v_organization public.organizations;
  v_purged integer := 0;
begin
  for v_organization in select * from public.organizations
                        where status = 'deletion_scheduled' and purge_after <= p_now
                        order by purge_after for update skip locked loop
    insert into private.deleted_organizations
      (id, slug, name, signup_user_id, deletion_requested_by, deletion_requested_at)
    values (v_organization.id, v_organization.slug, v_organization.name, v_organization.signup_user_id,
            v_organization.deletion_requested_by, v_organization.deletion_requested_at);
    -- Members whose active organization it was get another of theirs, or none.
    update public.profiles p set organization_id = (
      select m.organization_id from public.organization_members m
      where m.user_id = p.id and m.organization_id <> v_organization.id order by m.created_at limit 1)
    where p.organization_id = v_organization.id;
    delete from public.organizations where id = v_organization.id;
    v_purged := v_purged + 1;
  end loop;
  return v_purged;
end
$$;
revoke all on function private.purge_deleted_organizations(timestamptz) from public;
select private.schedule_if_cron('purge-deleted-organizations', '17 3 * * *',
                                'select private.purge_deleted_organizations()');

-- A purged signup workspace is not made again by a late webhook delivery.
create or replace function private.signup_wants_workspace(p_user_id uuid, p_email text)
returns boolean language sql stable set search_path = '' as $$
  select not exists (
      select 1 from public.onboarding_invites
      where email = lower(btrim(p_email)) and status = 'pending' and expires_at > now())
    and not exists (select 1 from public.organization_members where user_id = p_user_id)
    and not exists (select 1 from private.deleted_organizations where signup_user_id = p_user_id)
$$;

-- Owners see what is scheduled (and may cancel) in their own list.
create or replace function public.my_organizations()
returns jsonb language sql stable security definer set search_path = '' as $$
  select coalesce(jsonb_agg(jsonb_build_object(
      'organization_id', o.id, 'name', o.name, 'slug', o.slug, 'status', o.status, 'role', m.role,
      'permissions', to_jsonb(coalesce(private.role_permissions(o.id, m.role), '{}')),
      'mfa_required', o.mfa_required, 'mfa_satisfied', private.session_meets_mfa(o.id),
      'purge_after', o.purge_after) order by m.created_at), '[]'::jsonb)
  from public.organization_members m join public.organizations o on o.id = m.organization_id
  where m.user_id = auth.uid()
$$;

-- The events a webhook subscriber hears, with the deletion's.
create or replace function private.webhook_event_types()
returns text[] language sql immutable set search_path = '' as $$
  select array['organization.activated', 'invite.created', 'invite.accepted', 'invite.revoked', 'invite.declined',
               'member.added', 'member.removed', 'member.role_changed', 'ownership.transferred',
               'member.join_requested', 'member.join_request_denied', 'domain.verified', 'domain.removed',
               'organization.deletion_scheduled', 'organization.deletion_cancelled',
               'tenant_user.onboarding.completed', 'tenant_user.onboarding.failed']
$$;
