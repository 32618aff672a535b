-- Permissions instead of rank checks (issue 21): a fixed catalogue of permission keys,
-- the four system roles as sets of them (today's behaviour exactly), custom roles for
-- organizations whose plan has `custom-roles`, and an organization MFA policy.
-- `public.authorize(organization, permission)` is the one check: every RPC and every
-- policy asks it (or its set form, `private.permitted_organization_ids`). It reads the
-- membership and role tables, never the JWT's claims, so a changed role or a removed
-- member counts from the next request; the only claim it reads is `aal`, the session's
-- assurance level, which exists nowhere else.

create table public.permissions (
  key text primary key check (key ~ '^[a-z_]+(:[a-z_]+)+$'),
  description text not null check (char_length(description) between 1 and 300),
  -- Never in a custom role: deleting the organization and its ownership stay with owners.
  owners_only boolean not null default false
);
insert into public.permissions (key, description, owners_only) values
  ('org:members:read', 'See the members and their roles', false),
  ('org:members:invite', 'Invite people by email or by link; resend and revoke invitations and links', false),
  ('org:members:manage', 'Change members'' roles, remove members, decide join requests', false),
  ('org:roles:manage', 'Create, change and delete the organization''s custom roles', false),
  ('org:settings:manage', 'Change the organization''s settings and onboarding, and its MFA policy', false),
  ('org:billing:manage', 'Change the billing details', false),
  ('org:domains:manage', 'Add, verify and remove domains, and choose how their people join', false),
  ('org:webhooks:manage', 'Manage webhook endpoints and their deliveries', false),
  ('org:audit:read', 'Read the audit log', false),
  ('tenant_users:manage', 'Add and onboard the tenant''s users over Telegram; read their notifications', false),
  ('org:activate', 'Complete onboarding, making the organization active', true),
  ('org:ownership:transfer', 'Make another member the owner', true),
  ('org:delete', 'Schedule the organization''s deletion, or cancel it', true);
alter table public.permissions enable row level security;
revoke all on public.permissions from public, anon;
grant select on public.permissions to authenticated;
grant all on public.permissions to service_role;
create policy "signed-in users read the catalogue" on public.permissions for select to authenticated using (true);

-- Roles: the four system roles (no organization) and each organization's custom roles.
create table public.organization_roles (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid references public.organizations (id) on delete cascade,
  key text not null check (key ~ '^[a-z][a-z0-9-]{0,39}$'),
  name text not null check (char_length(name) between 1 and 100),
  permissions text[] not null default '{}',
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index organization_roles_system_key on public.organization_roles (key) where organization_id is null;
create unique index organization_roles_organization_key on public.organization_roles (organization_id, key)
  where organization_id is not null;
create trigger touch_updated_at before update on public.organization_roles
  for each row execute function private.touch_updated_at();
insert into public.organization_roles (key, name, permissions) values
  ('viewer', 'Viewer', array['org:members:read']),
  ('recruiter', 'Recruiter', array['org:members:read']),
  ('admin', 'Admin', array['org:members:read', 'org:members:invite', 'org:members:manage', 'org:roles:manage',
    'org:settings:manage', 'org:billing:manage', 'org:domains:manage', 'org:webhooks:manage', 'org:audit:read',
    'tenant_users:manage']),
  ('owner', 'Owner', array['org:members:read', 'org:members:invite', 'org:members:manage', 'org:roles:manage',
    'org:settings:manage', 'org:billing:manage', 'org:domains:manage', 'org:webhooks:manage', 'org:audit:read',
    'tenant_users:manage', 'org:activate', 'org:ownership:transfer', 'org:delete']);
alter table public.organization_roles enable row level security;
revoke all on public.organization_roles from public, anon;
grant select on public.organization_roles to authenticated;
grant all on public.organization_roles to service_role;

-- The feature that allows custom roles.
insert into public.features (key, name) values ('custom-roles', 'Custom roles');
insert into public.plan_features (plan_id, feature_key) values ('enterprise', 'custom-roles');

-- The MFA policy: while required, members act and read only from an `aal2` session.
alter table public.organizations add column mfa_required boolean not null default false;

-- The check. ---------------------------------------------------------------------------------

-- A role's permissions in an organization: the system role's, else the organization's own.
create function private.role_permissions(p_organization_id uuid, p_role text)
returns text[] language sql stable security definer set search_path = '' as $$
  select r.permissions from public.organization_roles r
  where r.key = p_role and (r.organization_id is null or r.organization_id = p_organization_id)
  order by r.organization_id nulls first limit 1
$$;
revoke all on function private.role_permissions(uuid, text) from public;

create function private.role_exists(p_organization_id uuid, p_role text)
returns boolean language sql stable security definer set search_path = '' as $$
  select private.role_permissions(p_organization_id, p_role) is not null
$$;
revoke all on function private.role_exists(uuid, text) from public;

-- Whether this session meets the organization's MFA policy: an `aal2` session while it
-- requires MFA (an organization that does not exist has no policy).
create function private.session_meets_mfa(p_organization_id uuid)
returns boolean language sql stable security definer set search_path = '' as $$
  select coalesce((select not o.mfa_required or coalesce(auth.jwt() ->> 'aal', 'aal1') = 'aal2'
                   from public.organizations o where o.id = p_organization_id), true)
$$;
revoke all on function private.session_meets_mfa(uuid) from public;

-- The caller's permissions in the organization (every one for a platform admin), from the
-- tables alone.
create function private.caller_permissions(p_organization_id uuid)
returns text[] language sql stable security definer set search_path = '' as $$
  select case when private.is_platform_admin() then (select array_agg(key order by key) from public.permissions)
              else coalesce(private.role_permissions(p_organization_id,
                     (select m.role from public.organization_members m
                      where m.organization_id = p_organization_id and m.user_id = auth.uid())), '{}') end
$$;
revoke all on function private.caller_permissions(uuid) from public;

-- THE check: the caller holds the permission in the organization, and its MFA policy is met.
create function public.authorize(p_organization_id uuid, p_permission text)
returns boolean language sql stable security definer set search_path = '' as $$
  select p_permission = any (private.caller_permissions(p_organization_id))
     and private.session_meets_mfa(p_organization_id)
$$;
revoke all on function public.authorize(uuid, text) from public, anon;
grant execute on function public.authorize(uuid, text) to authenticated, service_role;

-- The same check as a set, for policies (evaluated once per query, not once per row): the
-- organizations where the caller holds the permission and meets the MFA policy.
create function private.permitted_organization_ids(p_permission text)
returns setof uuid language sql stable security definer set search_path = '' as $$
  select m.organization_id from public.organization_members m
  where m.user_id = (select auth.uid())
    and public.authorize(m.organization_id, p_permission)
$$;
revoke all on function private.permitted_organization_ids(text) from public;
grant execute on function private.permitted_organization_ids(text) to authenticated;

-- Members: the organizations whose rows the caller reads (MFA policy met).
create or replace function private.member_organization_ids()
returns setof uuid language sql stable security definer set search_path = '' as $$
  select m.organization_id from public.organization_members m
  where m.user_id = (select auth.uid()) and private.session_meets_mfa(m.organization_id)
$$;

create or replace function private.is_tenant_admin(p_tenant_id uuid)
returns boolean language sql stable security definer set search_path = '' as $$
  select public.authorize(p_tenant_id, 'tenant_users:manage')
$$;

-- The caller's role in the organization ('owner' for a platform admin), or null; a member
-- whose session does not meet the organization's MFA policy gets `mfa_required`.
create or replace function private.caller_role(p_organization_id uuid)
returns text language plpgsql stable security definer set search_path = '' as $$
declare
  v_role text := coalesce(
    (select 'owner' where private.is_platform_admin()),
    (select m.role from public.organization_members m
     where m.organization_id = p_organization_id and m.user_id = auth.uid()));
begin
  if v_role is not null and not private.session_meets_mfa(p_organization_id) then
    raise exception using errcode = '42501', message = 'mfa_required',
      detail = 'this organization requires two-factor authentication: verify a second factor (aal2) first';
  end if;
  return v_role;
end
$$;

-- The organization locked for the caller, a member whose session meets its MFA policy, who
-- holds `p_permission`; else `not_org_admin`.
create function private.require_permission(p_organization_id uuid, p_permission text, p_detail text)
returns text language plpgsql security definer set search_path = '' as $$
declare
  v_role text := private.lock_organization_as_member(p_organization_id);
begin
  if not public.authorize(p_organization_id, p_permission) then
    raise exception using errcode = '42501', message = 'not_org_admin', detail = p_detail;
  end if;
  return v_role;
end
$$;
revoke all on function private.require_permission(uuid, text, text) from public;

-- Whether the caller may give `p_role`: it exists there, and holds no permission the
-- caller lacks (so only owners make owners).
create function private.may_grant(p_organization_id uuid, p_role text)
returns boolean language sql stable security definer set search_path = '' as $$
  select coalesce(private.role_permissions(p_organization_id, p_role) <@ private.caller_permissions(p_organization_id), false)
$$;
revoke all on function private.may_grant(uuid, text) from public;

-- Whether the caller may move a member from or to `p_role`: they manage members, and are
-- an owner (or platform admin), or the role holds strictly less than they do (an admin
-- changes recruiters and viewers, not admins).
create function private.may_manage_role(p_organization_id uuid, p_role text)
returns boolean language sql stable security definer set search_path = '' as $$
  select coalesce(public.authorize(p_organization_id, 'org:members:manage')
     and (private.caller_role(p_organization_id) = 'owner'
          or (private.role_permissions(p_organization_id, p_role) <@ private.caller_permissions(p_organization_id)
              and not private.caller_permissions(p_organization_id) <@ private.role_permissions(p_organization_id, p_role))), false)
$$;
revoke all on function private.may_manage_role(uuid, text) from public;

-- Roles are the system roles or the organization's own: checked on every write.
alter table public.organization_members drop constraint organization_members_role_check;
alter table public.onboarding_invites drop constraint onboarding_invites_role_check;
create function private.check_role_exists()
returns trigger language plpgsql security definer set search_path = '' as $$
begin
  if not private.role_exists(new.organization_id, new.role) then
    raise exception using errcode = '23514', message = 'invalid_role',
      detail = format('%L is neither a system role nor one of the organization''s', new.role);
  end if;
  return new;
end
$$;
revoke all on function private.check_role_exists() from public;
create trigger check_role_exists before insert or update of role on public.organization_members
  for each row execute function private.check_role_exists();
create trigger check_role_exists before insert or update of role on public.onboarding_invites
  for each row execute function private.check_role_exists();

-- Readable: the system roles by everyone signed in, an organization's by its members.
create policy "signed-in users read the system roles, members their organization's" on public.organization_roles
  for select to authenticated
  using (organization_id is null or organization_id in (select private.member_organization_ids()));

-- Every RPC asks authorize(), keeping the code it always answered. ------------------------

CREATE OR REPLACE FUNCTION public.change_member_role(p_organization_id uuid, p_user_id uuid, p_role text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_caller_role text;
  v_current text;
begin
  if p_role is null or not private.role_exists(p_organization_id, p_role) then
    raise exception using errcode = '22023', message = 'invalid_role', detail = 'role must be owner, admin, recruiter, viewer or one of the organization''s roles';
  end if;
  v_caller_role := private.lock_organization_as_member(p_organization_id);
  select role into v_current from public.organization_members
  where organization_id = p_organization_id and user_id = p_user_id for update;
  if not found then
    raise exception using errcode = 'PT404', message = 'member_not_found', detail = 'no such member';
  end if;
  if not private.may_manage_role(p_organization_id, v_current) or not private.may_manage_role(p_organization_id, p_role) then
    raise exception using errcode = '42501', message = 'role_too_high',
      detail = 'owners change any role; admins only roles below admin';
  end if;
  update public.organization_members set role = p_role
  where organization_id = p_organization_id and user_id = p_user_id;
  return jsonb_build_object('organization_id', p_organization_id, 'user_id', p_user_id, 'role', p_role, 'previous_role', v_current);
end
$$;

CREATE OR REPLACE FUNCTION public.remove_member(p_organization_id uuid, p_user_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_caller_role text;
  v_role text;
begin
  v_caller_role := private.lock_organization_as_member(p_organization_id);
  if p_user_id = auth.uid() then
    raise exception using errcode = '22023', message = 'cannot_remove_self', detail = 'use leave_organization';
  end if;
  select role into v_role from public.organization_members
  where organization_id = p_organization_id and user_id = p_user_id;
  if not found then
    raise exception using errcode = 'PT404', message = 'member_not_found', detail = 'no such member';
  end if;
  if not private.may_manage_role(p_organization_id, v_role) then
    raise exception using errcode = '42501', message = 'role_too_high',
      detail = 'owners remove anyone; admins only recruiters and viewers';
  end if;
  delete from public.organization_members where organization_id = p_organization_id and user_id = p_user_id;
  perform private.reset_active_organization(p_user_id, p_organization_id);
  return jsonb_build_object('organization_id', p_organization_id, 'user_id', p_user_id, 'removed', true);
end
$$;

CREATE OR REPLACE FUNCTION public.invite_member(p_organization_id uuid, p_email text, p_role text DEFAULT 'viewer'::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_caller_role text;
  v_email text := lower(btrim(coalesce(p_email, '')));
  v_invite public.onboarding_invites;
  v_existing boolean := true;
begin
  if p_role is null or not private.role_exists(p_organization_id, p_role) then
    raise exception using errcode = '22023', message = 'invalid_role',
      detail = 'role must be owner, admin, recruiter, viewer or one of the organization''s roles';
  end if;
  if char_length(v_email) > 320 or v_email !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' then
    raise exception using errcode = '22023', message = 'invalid_email', detail = 'not an email address';
  end if;
  v_caller_role := private.lock_organization_as_member(p_organization_id);
  if not public.authorize(p_organization_id, 'org:members:invite') then
    raise exception using errcode = '42501', message = 'not_org_admin',
      detail = 'only owners and admins invite members';
  end if;
  if not private.may_grant(p_organization_id, p_role) then
    raise exception using errcode = '42501', message = 'role_too_high',
      detail = 'nobody invites to a role above their own';
  end if;
  if exists (select 1 from public.organization_members m join auth.users u on u.id = m.user_id
             where m.organization_id = p_organization_id and lower(u.email) = v_email) then
    raise exception using errcode = '23505', message = 'already_member', detail = 'that address is already a member';
  end if;
  select * into v_invite from public.onboarding_invites
  where organization_id = p_organization_id and email = v_email and status = 'pending';
  if not found then
    v_existing := false;
    perform private.check_invite_limits(p_organization_id);
    insert into public.onboarding_invites (organization_id, email, role, expires_at, created_by)
    values (p_organization_id, v_email, p_role, now() + interval '72 hours', auth.uid())
    returning * into v_invite;
  end if;
  return jsonb_build_object('invite_id', v_invite.id, 'organization_id', v_invite.organization_id,
    'email', v_invite.email, 'role', v_invite.role, 'status', v_invite.status,
    'expires_at', v_invite.expires_at, 'existing', v_existing);
end
$_$;

CREATE OR REPLACE FUNCTION public.transfer_ownership(p_organization_id uuid, p_user_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  perform private.lock_organization_as_member(p_organization_id);
  if not public.authorize(p_organization_id, 'org:ownership:transfer') or not exists (
      select 1 from public.organization_members where organization_id = p_organization_id and user_id = auth.uid()) then
    raise exception using errcode = '42501', message = 'not_owner', detail = 'only an owner transfers ownership';
  end if;
  if p_user_id = auth.uid() or not exists (
      select 1 from public.organization_members where organization_id = p_organization_id and user_id = p_user_id) then
    raise exception using errcode = 'PT404', message = 'member_not_found', detail = 'the new owner must be another member';
  end if;
  perform set_config('app.audit_action', 'ownership.transferred', true);
  -- The new owner first: at no moment is there no owner.
  update public.organization_members set role = 'owner' where organization_id = p_organization_id and user_id = p_user_id;
  update public.organization_members set role = 'admin' where organization_id = p_organization_id and user_id = auth.uid();
  perform set_config('app.audit_action', '', true);
  return jsonb_build_object('organization_id', p_organization_id, 'owner', p_user_id, 'previous_owner', auth.uid());
end
$$;

CREATE OR REPLACE FUNCTION public.list_members(p_organization_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if private.caller_role(p_organization_id) is null then
    raise exception using errcode = '42501', message = 'not_member', detail = 'you are not a member of this organization';
  elsif not public.authorize(p_organization_id, 'org:members:read') then
    raise exception using errcode = '42501', message = 'permission_denied', detail = 'your role does not include org:members:read';
  end if;
  return (select coalesce(jsonb_agg(jsonb_build_object(
      'user_id', m.user_id, 'email', u.email, 'full_name', p.full_name, 'role', m.role, 'joined_at', m.created_at)
      order by private.role_rank(m.role) desc nulls last, m.created_at), '[]'::jsonb)
    from public.organization_members m
    join auth.users u on u.id = m.user_id
    left join public.profiles p on p.id = m.user_id
    where m.organization_id = p_organization_id);
end
$$;

CREATE OR REPLACE FUNCTION public.custom_access_token_hook(event jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization_id uuid;
  v_role text;
  v_claims jsonb := coalesce(event -> 'claims', '{}'::jsonb);
begin
  -- The active organization (profiles.organization_id) while the user is a member of it;
  -- else their first membership; else none.
  select m.organization_id, m.role into v_organization_id, v_role
  from public.organization_members m
  left join public.profiles p on p.id = m.user_id
  where m.user_id = (event ->> 'user_id')::uuid
  order by (m.organization_id = p.organization_id) desc nulls last, m.created_at
  limit 1;
  if v_organization_id is null then
    return event;
  end if;
  return jsonb_set(event, '{claims}',
    v_claims || jsonb_build_object('organization_id', v_organization_id, 'org_role', v_role,
      -- For frontends to hide what the user may not do; never used for access.
      'org_permissions', to_jsonb(coalesce(private.role_permissions(v_organization_id, v_role), '{}'))));
end
$$;

CREATE OR REPLACE FUNCTION public.complete_onboarding(p_organization_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization public.organizations;
  v_missing text[];
begin
  perform private.caller_role(p_organization_id);
  if not public.authorize(p_organization_id, 'org:activate') then
    raise exception using errcode = 'PT403', message = 'not_owner', detail = 'only the owner completes onboarding';
  end if;
  select * into v_organization from public.organizations where id = p_organization_id for update;
  if v_organization.onboarding_completed_at is null then
    select coalesce(array_agg(s.key order by s.phase_position), '{}') into v_missing
    from private.onboarding_phases(private.enabled_features(p_organization_id)) s
    where s.shown and not exists (select 1 from public.organization_onboarding_phases p
                                  where p.organization_id = p_organization_id and p.phase = s.key and p.done);
    if cardinality(v_missing) > 0 then
      raise exception using errcode = 'PT409', message = 'onboarding_incomplete',
        detail = 'phases not done: ' || array_to_string(v_missing, ', '),
        hint = array_to_json(v_missing)::text;
    end if;
  end if;
  update public.organizations
  set status = 'active', onboarding_completed_at = coalesce(onboarding_completed_at, now())
  where id = p_organization_id
  returning * into v_organization;
  return jsonb_build_object('organization_id', v_organization.id, 'status', v_organization.status,
                            'onboarding_completed_at', v_organization.onboarding_completed_at);
end
$$;

CREATE OR REPLACE FUNCTION public.issue_invite_token(p_invite_id uuid, p_token_hash text, p_ttl_hours integer DEFAULT 72) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_invite public.onboarding_invites;
  v_organization_name text;
  v_sends integer;
  v_oldest timestamptz;
begin
  if p_token_hash !~ '^[0-9a-f]{64}$' or p_ttl_hours not between 1 and 720 then
    raise exception using errcode = '22023', message = 'invalid_arguments';
  end if;
  select * into v_invite from public.onboarding_invites where id = p_invite_id for update;
  if not (auth.role() = 'service_role'
          or (private.caller_role(v_invite.organization_id) is not null
              and public.authorize(v_invite.organization_id, 'org:members:invite'))) then
    -- The code stays the one send-invite-email always answered (a documented contract).
    raise exception using errcode = '42501', message = 'not_platform_admin',
      detail = 'only platform admins, and the owners and admins of the organization, send its invites';
  end if;
  if v_invite.id is null then
    raise exception using message = 'invite_not_found';
  elsif v_invite.status = 'accepted' then
    raise exception using message = 'invite_already_accepted';
  elsif v_invite.status = 'revoked' then
    raise exception using message = 'invite_revoked';
  end if;
  if v_invite.sent_at > now() - interval '60 seconds' then
    perform private.raise_rate_limited(v_invite.sent_at + interval '60 seconds');
  end if;
  select count(*), min(at) into v_sends, v_oldest from public.organization_audit_log
  where organization_id = v_invite.organization_id and action = 'invite.sent' and at > now() - interval '1 hour';
  if v_sends >= private.invite_rate_per_hour() then
    perform private.raise_rate_limited(v_oldest + interval '1 hour');
  end if;
  begin
    -- A new token replaces the old one: the previous link stops working.
    update public.onboarding_invites
    set token_hash = p_token_hash, status = 'pending',
        expires_at = now() + make_interval(hours => p_ttl_hours),
        send_attempts = send_attempts + 1, last_send_error = null
    where id = p_invite_id
    returning * into v_invite;
  exception when unique_violation then
    -- An expired invite being revived while a newer one for the email is pending.
    raise exception using message = 'invite_superseded';
  end;
  select name into v_organization_name from public.organizations where id = v_invite.organization_id;
  return jsonb_build_object(
    'invite_id', v_invite.id, 'organization_id', v_invite.organization_id,
    'organization_name', v_organization_name, 'email', v_invite.email, 'role', v_invite.role,
    'expires_at', v_invite.expires_at, 'send_attempt', v_invite.send_attempts);
end
$_$;

CREATE OR REPLACE FUNCTION private.administer_webhooks(p_organization_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  perform private.lock_organization_as_member(p_organization_id);
  if not public.authorize(p_organization_id, 'org:webhooks:manage') then
    raise exception using errcode = '42501', message = 'not_org_admin',
      detail = 'only owners and admins manage webhooks';
  end if;
  if not ('webhooks' = any (private.enabled_features(p_organization_id))) then
    raise exception using errcode = '42501', message = 'feature_not_enabled',
      detail = 'the organization''s plan does not include webhooks';
  end if;
end
$$;

CREATE OR REPLACE FUNCTION private.administered_endpoint(p_endpoint_id uuid) RETURNS public.webhook_endpoints
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_endpoint public.webhook_endpoints;
begin
  select * into v_endpoint from public.webhook_endpoints where id = p_endpoint_id;
  if not found or not (v_endpoint.organization_id in (select private.permitted_organization_ids('org:webhooks:manage'))
                       or private.is_platform_admin()) then
    raise exception using errcode = 'PT404', message = 'endpoint_not_found', detail = 'no such webhook endpoint';
  end if;
  perform private.administer_webhooks(v_endpoint.organization_id);
  select * into v_endpoint from public.webhook_endpoints where id = p_endpoint_id for update;
  return v_endpoint;
end
$$;

CREATE OR REPLACE FUNCTION public.replay_webhook_message(p_message_id text, p_endpoint_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_message public.webhook_messages;
  v_count integer;
begin
  select * into v_message from public.webhook_messages where id = p_message_id;
  if not found or not (v_message.organization_id in (select private.permitted_organization_ids('org:webhooks:manage'))) then
    raise exception using errcode = 'PT404', message = 'message_not_found', detail = 'no such webhook message';
  end if;
  perform private.administer_webhooks(v_message.organization_id);
  update public.webhook_outbox o
  set status = 'pending', attempts = 0, next_attempt_at = now(), last_error = null, delivered_at = null
  where o.message_id = p_message_id and (p_endpoint_id is null or o.endpoint_id = p_endpoint_id)
    and exists (select 1 from public.webhook_endpoints e where e.id = o.endpoint_id and e.enabled);
  get diagnostics v_count = row_count;
  return jsonb_build_object('message_id', p_message_id, 'requeued', v_count);
end
$$;

CREATE OR REPLACE FUNCTION public.organization_onboarding(p_organization_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization public.organizations;
  v_features text[];
begin
  perform private.caller_role(p_organization_id);
  if not (p_organization_id in (select private.member_organization_ids()) or private.is_platform_admin()) then
    raise exception using errcode = 'PT404', message = 'organization_not_found', detail = 'no such organization';
  end if;
  select * into v_organization from public.organizations where id = p_organization_id;
  v_features := private.enabled_features(p_organization_id);
  return jsonb_build_object(
    'organization_id', v_organization.id, 'name', v_organization.name, 'status', v_organization.status,
    'plan', v_organization.plan_id, 'features', to_jsonb(v_features),
    'onboarding_completed_at', v_organization.onboarding_completed_at,
    'phases', (
      select jsonb_agg(private.onboarding_phase_view(p_organization_id, key, title) order by phase_position)
      from private.onboarding_phases(v_features) where shown));
end
$$;

-- The tenant's users: a session below the MFA policy is told so.
CREATE OR REPLACE FUNCTION public.request_user_onboarding(p_payload jsonb, p_start_token text, p_resend boolean DEFAULT false) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_admin uuid := auth.uid();
  v_tenant_id uuid := (p_payload ->> 'tenant_id')::uuid;
  v_correlation_id uuid := (p_payload ->> 'correlation_id')::uuid;
  v_user public.tenant_users;
  v_message public.onboarding_outbox;
  v_previous uuid;
begin
  perform private.caller_role(v_tenant_id);
  if v_admin is null or not private.is_tenant_admin(v_tenant_id) then
    raise exception using errcode = '42501', message = 'not_tenant_admin';
  end if;
  if (p_payload -> 'initiated_by' ->> 'id') is distinct from v_admin::text then
    raise exception using errcode = '42501', message = 'initiated_by_mismatch';
  end if;
  if p_start_token !~ '^[A-Za-z0-9_-]{16,64}$' then
    raise exception using errcode = '22023', message = 'invalid_start_token';
  end if;
  select * into v_user from public.tenant_users
  where id = (p_payload ->> 'user_id')::uuid and tenant_id = v_tenant_id
  for update;
  if not found then
    raise exception using errcode = '42501', message = 'user_not_in_tenant';
  end if;
  if v_user.email <> lower(p_payload ->> 'email') or v_user.user_role <> p_payload ->> 'user_role' then
    raise exception using message = 'user_mismatch';
  end if;
  -- The same request again (a client retry): the same answer, nothing written.
  if v_user.bot_correlation_id = v_correlation_id then
    return jsonb_build_object('correlation_id', v_correlation_id, 'replay', true);
  end if;
  if exists (select 1 from public.onboarding_outbox where correlation_id = v_correlation_id) then
    raise exception using message = 'correlation_id_used';
  end if;
  if v_user.bot_onboarding_status = 'completed' then
    raise exception using message = 'already_onboarded';
  end if;
  if v_user.bot_correlation_id is not null and v_user.bot_onboarding_status in ('pending', 'invite_sent', 'awaiting_chat') and not p_resend then
    raise exception using message = 'onboarding_in_flight';
  end if;

  v_previous := v_user.bot_correlation_id;
  if v_previous is not null then
    -- Resend: the previous correlation id is superseded; its message is never sent
    -- again and its late callbacks are refused.
    update public.onboarding_outbox set status = 'superseded', payload = payload - 'start_token', lease_until = null
    where correlation_id = v_previous and status = 'pending';
    perform private.onboarding_event(v_user, v_previous, 'superseded', jsonb_build_object('by', v_correlation_id));
  end if;

  update public.tenant_users
  set bot_onboarding_status = 'pending',
      bot_onboarding_started_at = coalesce(bot_onboarding_started_at, now()),
      bot_onboarding_requested_at = now(),
      bot_onboarding_completed_at = null,
      bot_onboarding_error = null,
      bot_onboarding_retry_count = bot_onboarding_retry_count + case when v_previous is null then 0 else 1 end,
      bot_correlation_id = v_correlation_id,
      bot_start_token_hash = encode(sha256(convert_to(p_start_token, 'UTF8')), 'hex')
  where id = v_user.id
  returning * into v_user;

  perform private.notify_tenant(v_user, v_correlation_id, 'onboarding', 'Queued',
    format('Onboarding started for %s', v_user.email), 'info', v_admin);
  perform private.onboarding_event(v_user, v_correlation_id,
    case when v_previous is null then 'requested' else 'resend_requested' end,
    jsonb_build_object('initiated_by', v_admin, 'retry_count', v_user.bot_onboarding_retry_count));

  -- Written leased to this request, which delivers it at once; if it cannot, the
  -- lease runs out and the dispatcher takes over.
  insert into public.onboarding_outbox (tenant_id, user_id, correlation_id, payload, attempts, lease_until)
  values (v_tenant_id, v_user.id, v_correlation_id, p_payload || jsonb_build_object('start_token', p_start_token),
          1, now() + interval '30 seconds')
  returning * into v_message;
  return private.outbox_message(v_message) || jsonb_build_object('replay', false);
end
$_$;

CREATE OR REPLACE FUNCTION public.force_complete_user_onboarding(p_user_id uuid, p_chat_id bigint, p_reason text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_user public.tenant_users;
begin
  if p_chat_id is null or char_length(btrim(coalesce(p_reason, ''))) not between 1 and 500 then
    raise exception using errcode = '22023', message = 'invalid_arguments',
      detail = 'a chat id and a reason (1-500 characters) are required';
  end if;
  select * into v_user from public.tenant_users where id = p_user_id for update;
  perform private.caller_role(v_user.tenant_id);
  if not found or not private.is_tenant_admin(v_user.tenant_id) then
    raise exception using errcode = '42501', message = 'not_tenant_admin';
  end if;
  if v_user.bot_onboarding_status = 'completed' then
    raise exception using message = 'already_completed';
  end if;
  update public.tenant_users
  set telegram_chat_id = p_chat_id, bot_onboarding_status = 'completed', bot_onboarding_completed_at = now(),
      bot_onboarding_error = null, is_active = true, bot_start_token_hash = null
  where id = v_user.id returning * into v_user;
  perform private.notify_tenant(v_user, v_user.bot_correlation_id, 'onboarding', 'Completed',
    format('%s was completed by hand', v_user.email), 'success');
  perform private.onboarding_event(v_user, v_user.bot_correlation_id, 'force_completed',
    jsonb_build_object('by', auth.uid(), 'reason', btrim(p_reason)));
  return jsonb_build_object('status', 'completed', 'forced', true);
end
$$;

-- Policies ask the same check. ----------------------------------------------------------------
drop policy "admins read all invites, owners their organization's" on public.onboarding_invites;
create policy "platform admins read all invites, inviters their organization's" on public.onboarding_invites
  for select to authenticated using ((select private.is_platform_admin())
    or organization_id in (select private.permitted_organization_ids('org:members:invite')));
drop policy "owners and admins read their organization's log" on public.organization_audit_log;
create policy "audit readers read their organization's log" on public.organization_audit_log
  for select to authenticated using (organization_id in (select private.permitted_organization_ids('org:audit:read'))
    or (select private.is_platform_admin()));
drop policy "owners and admins read their endpoints" on public.webhook_endpoints;
create policy "webhook managers read their endpoints" on public.webhook_endpoints
  for select to authenticated using (organization_id in (select private.permitted_organization_ids('org:webhooks:manage')));
drop policy "owners and admins read their messages" on public.webhook_messages;
create policy "webhook managers read their messages" on public.webhook_messages
  for select to authenticated using (organization_id in (select private.permitted_organization_ids('org:webhooks:manage')));
drop policy "read members of my organizations" on public.organization_members;
create policy "member readers read their organization's members" on public.organization_members
  for select to authenticated using (organization_id in (select private.permitted_organization_ids('org:members:read')));

drop function private.administered_organization_ids();
drop function private.owned_organization_ids();

-- Custom roles. -------------------------------------------------------------------------------

-- A role definition's permissions, checked: known keys, none only owners hold, none the
-- caller lacks. Returns them sorted and without repeats.
create function private.checked_permissions(p_organization_id uuid, p_permissions text[])
returns text[] language plpgsql stable security definer set search_path = '' as $$
declare
  v_key text;
begin
  if p_permissions is null or cardinality(p_permissions) > 50 then
    raise exception using errcode = '22023', message = 'invalid_permissions', detail = 'permissions: a list of at most 50 keys';
  end if;
  select k into v_key from unnest(p_permissions) k where not exists (select 1 from public.permissions p where p.key = k) limit 1;
  if found then
    raise exception using errcode = '22023', message = 'unknown_permission',
      detail = format('%L is not a permission (see public.permissions)', left(v_key, 100));
  end if;
  select k into v_key from unnest(p_permissions) k join public.permissions p on p.key = k where p.owners_only limit 1;
  if found then
    raise exception using errcode = '42501', message = 'permission_too_high',
      detail = format('%s stays with owners: no custom role holds it', v_key);
  end if;
  select k into v_key from unnest(p_permissions) k where k <> all (private.caller_permissions(p_organization_id)) limit 1;
  if found then
    raise exception using errcode = '42501', message = 'permission_too_high',
      detail = format('you do not hold %s, so you cannot grant it', v_key);
  end if;
  return array(select distinct k from unnest(p_permissions) k order by k);
end
$$;
revoke all on function private.checked_permissions(uuid, text[]) from public;

create function private.role_name(p_name text)
returns text language plpgsql immutable set search_path = '' as $$
begin
  if p_name is null or char_length(btrim(p_name)) not between 1 and 100 or p_name ~ '[[:cntrl:]]' then
    raise exception using errcode = '22023', message = 'invalid_name', detail = 'name: 1-100 characters';
  end if;
  return btrim(p_name);
end
$$;
revoke all on function private.role_name(text) from public;

create function private.role_view(p_role public.organization_roles)
returns jsonb language sql stable set search_path = '' as $$
  select jsonb_build_object('id', p_role.id, 'organization_id', p_role.organization_id, 'key', p_role.key,
    'name', p_role.name, 'permissions', to_jsonb(p_role.permissions), 'system', p_role.organization_id is null)
$$;
revoke all on function private.role_view(public.organization_roles) from public;

-- A custom role of the organization: a slug key no system role has, a name, permissions.
create function public.create_role(p_organization_id uuid, p_key text, p_name text, p_permissions text[])
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_role public.organization_roles;
begin
  perform private.require_permission(p_organization_id, 'org:roles:manage', 'only those who manage roles create them');
  if not ('custom-roles' = any (private.enabled_features(p_organization_id))) then
    raise exception using errcode = '42501', message = 'feature_not_enabled',
      detail = 'the organization''s plan does not include custom-roles';
  end if;
  if p_key is null or p_key !~ '^[a-z][a-z0-9-]{0,39}$' then
    raise exception using errcode = '22023', message = 'invalid_role_key',
      detail = 'key: 1-40 characters of a-z, 0-9 and -, starting with a letter';
  end if;
  if private.role_exists(p_organization_id, p_key) then
    raise exception using errcode = '23505', message = 'role_key_taken', detail = format('a role %L exists', p_key);
  end if;
  if (select count(*) from public.organization_roles where organization_id = p_organization_id) >= 50 then
    raise exception using errcode = 'PT403', message = 'role_limit_reached', detail = 'an organization has at most 50 custom roles';
  end if;
  insert into public.organization_roles (organization_id, key, name, permissions, created_by)
  values (p_organization_id, p_key, private.role_name(p_name), private.checked_permissions(p_organization_id, p_permissions), auth.uid())
  returning * into v_role;
  perform private.audit(p_organization_id, 'role.created', null, null, null, private.role_view(v_role));
  return private.role_view(v_role);
end
$$;
revoke all on function public.create_role(uuid, text, text, text[]) from public, anon;
grant execute on function public.create_role(uuid, text, text, text[]) to authenticated;

-- The custom role, locked, for those who manage the organization's roles.
create function private.managed_role(p_role_id uuid)
returns public.organization_roles language plpgsql security definer set search_path = '' as $$
declare
  v_role public.organization_roles;
begin
  select * into v_role from public.organization_roles where id = p_role_id;
  if not found or v_role.organization_id is null or private.caller_role(v_role.organization_id) is null then
    raise exception using errcode = 'PT404', message = 'role_not_found', detail = 'no such custom role (system roles do not change)';
  end if;
  perform private.require_permission(v_role.organization_id, 'org:roles:manage', 'only those who manage roles change them');
  select * into v_role from public.organization_roles where id = p_role_id for update;
  return v_role;
end
$$;
revoke all on function private.managed_role(uuid) from public;

-- Renames the role and sets its permissions: its members have the new ones from their next request.
create function public.update_role(p_role_id uuid, p_name text, p_permissions text[])
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_role public.organization_roles := private.managed_role(p_role_id);
  v_before jsonb := private.role_view(v_role);
begin
  update public.organization_roles
  set name = private.role_name(p_name), permissions = private.checked_permissions(v_role.organization_id, p_permissions)
  where id = p_role_id returning * into v_role;
  perform private.audit(v_role.organization_id, 'role.updated', null, null, v_before, private.role_view(v_role));
  return private.role_view(v_role);
end
$$;
revoke all on function public.update_role(uuid, text, text[]) from public, anon;
grant execute on function public.update_role(uuid, text, text[]) to authenticated;

-- Deletes the role; refused while a member, a pending invitation or a link holds it.
create function public.delete_role(p_role_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_role public.organization_roles := private.managed_role(p_role_id);
begin
  if exists (select 1 from public.organization_members where organization_id = v_role.organization_id and role = v_role.key)
     or exists (select 1 from public.onboarding_invites
                where organization_id = v_role.organization_id and role = v_role.key and status = 'pending') then
    raise exception using errcode = 'PT409', message = 'role_in_use',
      detail = 'members or pending invitations hold this role: give them another first';
  end if;
  delete from public.organization_roles where id = p_role_id;
  perform private.audit(v_role.organization_id, 'role.deleted', null, null, private.role_view(v_role), null);
  return jsonb_build_object('id', p_role_id, 'key', v_role.key, 'deleted', true);
end
$$;
revoke all on function public.delete_role(uuid) from public, anon;
grant execute on function public.delete_role(uuid) to authenticated;

-- The MFA policy. -------------------------------------------------------------------------------

-- While required, every RPC for the organization answers `mfa_required` to a session below
-- `aal2`, and its rows read as none. Switching it on takes an `aal2` session (no lock-out).
create function public.set_organization_mfa_policy(p_organization_id uuid, p_required boolean)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_before boolean;
begin
  perform private.require_permission(p_organization_id, 'org:settings:manage', 'only those who manage settings set the MFA policy');
  if p_required is null then
    raise exception using errcode = '22023', message = 'invalid_arguments', detail = 'p_required: true or false';
  end if;
  if p_required and coalesce(auth.jwt() ->> 'aal', 'aal1') <> 'aal2' then
    raise exception using errcode = '42501', message = 'mfa_required',
      detail = 'verify a second factor yourself (aal2) before requiring one of everybody';
  end if;
  select mfa_required into v_before from public.organizations where id = p_organization_id;
  update public.organizations set mfa_required = p_required where id = p_organization_id;
  if v_before is distinct from p_required then
    perform private.audit(p_organization_id, 'organization.mfa_policy_changed', null, null,
      jsonb_build_object('mfa_required', v_before), jsonb_build_object('mfa_required', p_required));
  end if;
  return jsonb_build_object('organization_id', p_organization_id, 'mfa_required', p_required);
end
$$;
revoke all on function public.set_organization_mfa_policy(uuid, boolean) from public, anon;
grant execute on function public.set_organization_mfa_policy(uuid, boolean) to authenticated;

-- The caller's organizations, readable whatever their role and session: each with their
-- role, its permissions, and whether it asks this session for a second factor.
create function public.my_organizations()
returns jsonb language sql stable security definer set search_path = '' as $$
  select coalesce(jsonb_agg(jsonb_build_object(
      'organization_id', o.id, 'name', o.name, 'status', o.status, 'role', m.role,
      'permissions', to_jsonb(coalesce(private.role_permissions(o.id, m.role), '{}')),
      'mfa_required', o.mfa_required, 'mfa_satisfied', private.session_meets_mfa(o.id)) order by m.created_at), '[]'::jsonb)
  from public.organization_members m join public.organizations o on o.id = m.organization_id
  where m.user_id = auth.uid()
$$;
revoke all on function public.my_organizations() from public, anon;
grant execute on function public.my_organizations() to authenticated;
