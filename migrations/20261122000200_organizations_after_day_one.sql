-- Organizations after day one: self-serve organizations, team invites, members and roles,
-- ownership, the active organization (and its claims in the JWT), an audit log, limits.
--
-- Roles rank owner > admin > recruiter > viewer. Every RPC is one transaction that locks
-- the organization's row first, so two callers changing one organization's members are
-- serialised; "never zero owners" is also a trigger, so it holds for direct writes too.

-- Ranks and the caller's standing -------------------------------------------------------------

create or replace function private.role_rank(p_role text) returns integer
language sql immutable set search_path = '' as $$
  select case p_role when 'owner' then 4 when 'admin' then 3 when 'recruiter' then 2 when 'viewer' then 1 end
$$;
revoke execute on function private.role_rank(text) from public;

-- The caller's role in an organization (platform admins count as owners), or null.
create or replace function private.caller_role(p_organization_id uuid) returns text
language sql stable security definer set search_path = '' as $$
  select coalesce(
    (select 'owner' where private.is_platform_admin()),
    (select m.role from public.organization_members m
     where m.organization_id = p_organization_id and m.user_id = auth.uid()))
$$;
revoke execute on function private.caller_role(uuid) from public;

-- Organizations whose owners and admins the caller is (RLS of the audit log).
create or replace function private.administered_organization_ids() returns setof uuid
language sql stable security definer set search_path = '' as $$
  select organization_id from public.organization_members
  where user_id = auth.uid() and role in ('owner', 'admin')
$$;
revoke execute on function private.administered_organization_ids() from public;
grant execute on function private.administered_organization_ids() to authenticated;

-- Locks the organization's row (serialising every membership change of it) and returns the
-- caller's role there; refuses callers who are not members.
create or replace function private.lock_organization_as_member(p_organization_id uuid) returns text
language plpgsql security definer set search_path = '' as $$
declare
  v_role text;
begin
  if auth.uid() is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  end if;
  perform 1 from public.organizations where id = p_organization_id for update;
  v_role := private.caller_role(p_organization_id);
  if not found or v_role is null then
    raise exception using errcode = '42501', message = 'not_member',
      detail = 'you are not a member of this organization';
  end if;
  return v_role;
end
$$;
revoke execute on function private.lock_organization_as_member(uuid) from public;

-- Plans: a member limit (members plus pending invites) ----------------------------------------

alter table public.plans add column if not exists member_limit integer check (member_limit > 0);
update public.plans set member_limit = case id when 'free' then 5 when 'starter' then 25 when 'growth' then 100 end;

-- Invites: declined, who invited ----------------------------------------------------------------

alter table public.onboarding_invites drop constraint if exists onboarding_invites_status_check;
alter table public.onboarding_invites add constraint onboarding_invites_status_check
  check (status in ('pending', 'accepted', 'expired', 'revoked', 'declined'));
alter table public.onboarding_invites add column if not exists declined_at timestamptz;
grant select (declined_at) on public.onboarding_invites to authenticated;

-- Never zero owners ------------------------------------------------------------------------------
-- Whoever writes (an RPC, the service role, a cascade from auth.users): an organization that
-- still exists keeps at least one owner. The organization's row is locked before counting,
-- so two transactions demoting its two owners at once are serialised and the second fails.

create or replace function private.keep_an_owner() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if old.role <> 'owner' or (tg_op = 'UPDATE' and new.role = 'owner' and new.organization_id = old.organization_id) then
    return null;
  end if;
  perform 1 from public.organizations where id = old.organization_id for update;
  if not found then
    return null; -- the organization itself is being deleted
  end if;
  if not exists (select 1 from public.organization_members
                 where organization_id = old.organization_id and role = 'owner') then
    raise exception using errcode = 'PT409', message = 'last_owner',
      detail = 'an organization keeps at least one owner: make someone else owner first';
  end if;
  return null;
end
$$;
revoke execute on function private.keep_an_owner() from public;
drop trigger if exists keep_an_owner on public.organization_members;
create trigger keep_an_owner after update or delete on public.organization_members
  for each row execute function private.keep_an_owner();

-- The audit log ----------------------------------------------------------------------------------
-- Written by triggers, in the same transaction as the change, whoever made it; an RPC may
-- name the action more precisely (member.left, ownership.transferred) through the
-- transaction-local setting app.audit_action.

create table if not exists public.organization_audit_log (
  id bigint generated always as identity primary key,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  actor_id uuid references auth.users (id) on delete set null,
  action text not null,
  target_user_id uuid,
  target_invite_id uuid,
  before jsonb,
  after jsonb,
  at timestamptz not null default clock_timestamp()
);
create index if not exists organization_audit_log_org_idx on public.organization_audit_log (organization_id, id);
alter table public.organization_audit_log enable row level security;
revoke all on public.organization_audit_log from anon, authenticated;
grant select on public.organization_audit_log to authenticated;
grant all on public.organization_audit_log to service_role;
create policy "owners and admins read their organization's log" on public.organization_audit_log
  for select to authenticated
  using (organization_id in (select private.administered_organization_ids())
         or (select private.is_platform_admin()));

create or replace function private.audit(
  p_organization_id uuid, p_action text, p_target_user_id uuid, p_target_invite_id uuid,
  p_before jsonb, p_after jsonb
) returns void
language sql security definer set search_path = '' as $$
  insert into public.organization_audit_log
    (organization_id, actor_id, action, target_user_id, target_invite_id, before, after)
  values (p_organization_id, auth.uid(),
          coalesce(nullif(current_setting('app.audit_action', true), ''), p_action),
          p_target_user_id, p_target_invite_id, p_before, p_after)
$$;
revoke execute on function private.audit(uuid, text, uuid, uuid, jsonb, jsonb) from public;

create or replace function private.audit_membership() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'INSERT' then
    perform private.audit(new.organization_id, 'member.added', new.user_id, null, null,
                          jsonb_build_object('role', new.role));
  elsif tg_op = 'UPDATE' and new.role is distinct from old.role then
    perform private.audit(new.organization_id, 'member.role_changed', new.user_id, null,
                          jsonb_build_object('role', old.role), jsonb_build_object('role', new.role));
  elsif tg_op = 'DELETE' and exists (select 1 from public.organizations where id = old.organization_id) then
    perform private.audit(old.organization_id, 'member.removed', old.user_id, null,
                          jsonb_build_object('role', old.role), null);
  end if;
  return null;
end
$$;
revoke execute on function private.audit_membership() from public;
drop trigger if exists audit_membership on public.organization_members;
create trigger audit_membership after insert or update or delete on public.organization_members
  for each row execute function private.audit_membership();

create or replace function private.audit_invite() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_state jsonb := jsonb_build_object('email', new.email, 'role', new.role, 'status', new.status);
begin
  if tg_op = 'INSERT' then
    perform private.audit(new.organization_id, 'invite.created', null, new.id, null, v_state);
  elsif new.status is distinct from old.status and new.status in ('accepted', 'revoked', 'declined', 'expired') then
    perform private.audit(new.organization_id, 'invite.' || new.status, new.accepted_by, new.id,
                          jsonb_build_object('status', old.status), v_state);
  elsif new.sent_at is distinct from old.sent_at and new.sent_at is not null then
    perform private.audit(new.organization_id, 'invite.sent', null, new.id, null,
                          jsonb_build_object('send_attempt', new.send_attempts));
  end if;
  return null;
end
$$;
revoke execute on function private.audit_invite() from public;
drop trigger if exists audit_invite on public.onboarding_invites;
create trigger audit_invite after insert or update on public.onboarding_invites
  for each row execute function private.audit_invite();

create or replace function private.audit_organization() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'INSERT' then
    perform private.audit(new.id, 'organization.created', null, null, null,
                          jsonb_build_object('name', new.name, 'slug', new.slug, 'plan', new.plan_id, 'status', new.status));
  elsif new.status is distinct from old.status and new.status = 'active' then
    perform private.audit(new.id, 'organization.activated', null, null,
                          jsonb_build_object('status', old.status), jsonb_build_object('status', new.status));
  end if;
  return null;
end
$$;
revoke execute on function private.audit_organization() from public;
drop trigger if exists audit_organization on public.organizations;
create trigger audit_organization after insert or update on public.organizations
  for each row execute function private.audit_organization();

-- Limits -----------------------------------------------------------------------------------------

-- The one way to refuse for a rate: 429 `rate_limited`, with the seconds until `p_free_at`
-- as {"retry_after": s} in the details (send-invite-email turns it into Retry-After).
create or replace function private.raise_rate_limited(p_free_at timestamptz) returns void
language plpgsql set search_path = '' as $$
begin
  raise exception using errcode = 'PT429', message = 'rate_limited',
    detail = json_build_object('retry_after',
      greatest(1, ceil(extract(epoch from (p_free_at - now())))::integer))::text;
end
$$;
revoke execute on function private.raise_rate_limited(timestamptz) from public;

-- New invites an organization may create per hour.
create or replace function private.invite_rate_per_hour() returns integer
language sql stable set search_path = '' as $$ select 50 $$;
revoke execute on function private.invite_rate_per_hour() from public;

-- Refuses a new invite when the plan's seats (members + pending invites) are taken, or the
-- organization created too many invites in the last hour. Call with the row locked.
create or replace function private.check_invite_limits(p_organization_id uuid) returns void
language plpgsql security definer set search_path = '' as $$
declare
  v_limit integer;
  v_used integer;
  v_recent integer;
  v_oldest timestamptz;
begin
  select p.member_limit into v_limit
  from public.organizations o join public.plans p on p.id = o.plan_id where o.id = p_organization_id;
  select (select count(*) from public.organization_members where organization_id = p_organization_id)
       + (select count(*) from public.onboarding_invites
          where organization_id = p_organization_id and status = 'pending' and expires_at > now())
  into v_used;
  if v_limit is not null and v_used >= v_limit then
    raise exception using errcode = 'PT403', message = 'member_limit_reached',
      detail = format('the plan allows %s members, pending invites included', v_limit);
  end if;
  select count(*), min(created_at) into v_recent, v_oldest from public.onboarding_invites
  where organization_id = p_organization_id and created_at > now() - interval '1 hour';
  if v_recent >= private.invite_rate_per_hour() then
    perform private.raise_rate_limited(v_oldest + interval '1 hour');
  end if;
end
$$;
revoke execute on function private.check_invite_limits(uuid) from public;

-- Self-serve organizations -----------------------------------------------------------------------

create or replace function public.create_organization(p_name text, p_slug text default null) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_user auth.users;
  v_name text := btrim(coalesce(p_name, ''));
  v_base text;
  v_slug text;
  v_organization_id uuid;
begin
  select * into v_user from auth.users where id = auth.uid();
  if v_user.id is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  elsif v_user.email_confirmed_at is null then
    raise exception using errcode = '42501', message = 'email_not_confirmed', detail = 'confirm your email address first';
  end if;
  if char_length(v_name) not between 1 and 200 then
    raise exception using errcode = '22023', message = 'invalid_name', detail = 'name must be 1-200 characters';
  end if;
  if p_slug is not null and (char_length(p_slug) > 40 or p_slug !~ '^[a-z0-9]+(-[a-z0-9]+)*$') then
    raise exception using errcode = '22023', message = 'invalid_slug',
      detail = 'slug must be 1-40 characters of a-z, 0-9 and single dashes';
  end if;
  v_base := coalesce(p_slug, nullif(private.signup_slugify(v_name, 40), ''), 'workspace');
  for attempt in 1..10 loop
    v_slug := case when attempt = 1 then v_base
              else left(v_base, 33) || '-' || left(replace(gen_random_uuid()::text, '-', ''), 6) end;
    begin
      insert into public.organizations (name, slug, status, plan_id, created_by)
      values (v_name, v_slug, 'active', 'free', v_user.id)
      returning id into v_organization_id;
      exit;
    exception when unique_violation then
      if p_slug is not null then
        raise exception using errcode = '23505', message = 'slug_taken', detail = format('slug %L is taken', p_slug);
      end if;
    end;
  end loop;
  if v_organization_id is null then
    raise exception using errcode = '23505', message = 'slug_exhausted', detail = 'no free slug; give one';
  end if;
  insert into public.profiles (id, email, full_name)
  values (v_user.id, v_user.email, private.signup_full_name(v_user.raw_user_meta_data, v_user.email))
  on conflict (id) do nothing;
  insert into public.organization_members (organization_id, user_id, role) values (v_organization_id, v_user.id, 'owner');
  update public.profiles set organization_id = coalesce(organization_id, v_organization_id) where id = v_user.id;
  return jsonb_build_object('organization_id', v_organization_id, 'name', v_name, 'slug', v_slug,
                            'status', 'active', 'plan', 'free', 'role', 'owner');
end
$$;
revoke execute on function public.create_organization(text, text) from public, anon;
grant execute on function public.create_organization(text, text) to authenticated;

-- Team invites -----------------------------------------------------------------------------------

create or replace function public.invite_member(p_organization_id uuid, p_email text, p_role text default 'viewer')
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_caller_role text;
  v_email text := lower(btrim(coalesce(p_email, '')));
  v_invite public.onboarding_invites;
  v_existing boolean := true;
begin
  if p_role is null or private.role_rank(p_role) is null then
    raise exception using errcode = '22023', message = 'invalid_role',
      detail = 'role must be owner, admin, recruiter or viewer';
  end if;
  if char_length(v_email) > 320 or v_email !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' then
    raise exception using errcode = '22023', message = 'invalid_email', detail = 'not an email address';
  end if;
  v_caller_role := private.lock_organization_as_member(p_organization_id);
  if v_caller_role not in ('owner', 'admin') then
    raise exception using errcode = '42501', message = 'not_org_admin',
      detail = 'only owners and admins invite members';
  end if;
  if private.role_rank(p_role) > private.role_rank(v_caller_role) then
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
$$;
revoke execute on function public.invite_member(uuid, text, text) from public, anon;
grant execute on function public.invite_member(uuid, text, text) to authenticated, service_role;

create or replace function public.my_invites() returns jsonb
language sql stable security definer set search_path = '' as $$
  select coalesce(jsonb_agg(jsonb_build_object(
      'id', i.id, 'organization_id', i.organization_id, 'organization_name', o.name, 'role', i.role,
      'invited_by', p.full_name, 'expires_at', i.expires_at) order by i.created_at), '[]'::jsonb)
  from auth.users u
  join public.onboarding_invites i on i.email = lower(u.email)
  join public.organizations o on o.id = i.organization_id
  left join public.profiles p on p.id = i.created_by
  where u.id = auth.uid() and u.email_confirmed_at is not null
    and i.status = 'pending' and i.expires_at > now()
$$;
revoke execute on function public.my_invites() from public, anon;
grant execute on function public.my_invites() to authenticated;

create or replace function public.decline_invite(p_invite_id uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_user auth.users;
  v_invite public.onboarding_invites;
begin
  select * into v_user from auth.users where id = auth.uid();
  select * into v_invite from public.onboarding_invites where id = p_invite_id for update;
  if not found then
    raise exception using errcode = 'PT404', message = 'invite_not_found', detail = 'no such invitation';
  end if;
  if v_user.id is null or v_user.email_confirmed_at is null or lower(v_user.email) <> v_invite.email then
    raise exception using errcode = '42501', message = 'invite_wrong_user',
      detail = 'only the invited address declines an invitation';
  end if;
  if v_invite.status <> 'pending' then
    raise exception using errcode = 'PT409', message = 'invite_not_pending', detail = format('the invitation is %s', v_invite.status);
  end if;
  update public.onboarding_invites set status = 'declined', declined_at = now() where id = p_invite_id;
  return jsonb_build_object('invite_id', p_invite_id, 'status', 'declined');
end
$$;
revoke execute on function public.decline_invite(uuid) from public, anon;
grant execute on function public.decline_invite(uuid) to authenticated;

-- Members ----------------------------------------------------------------------------------------

create or replace function public.list_members(p_organization_id uuid) returns jsonb
language plpgsql stable security definer set search_path = '' as $$
begin
  if private.caller_role(p_organization_id) is null then
    raise exception using errcode = '42501', message = 'not_member', detail = 'you are not a member of this organization';
  end if;
  return (select coalesce(jsonb_agg(jsonb_build_object(
      'user_id', m.user_id, 'email', u.email, 'full_name', p.full_name, 'role', m.role, 'joined_at', m.created_at)
      order by private.role_rank(m.role) desc, m.created_at), '[]'::jsonb)
    from public.organization_members m
    join auth.users u on u.id = m.user_id
    left join public.profiles p on p.id = m.user_id
    where m.organization_id = p_organization_id);
end
$$;
revoke execute on function public.list_members(uuid) from public, anon;
grant execute on function public.list_members(uuid) to authenticated;

-- After a user leaves an organization: their active one becomes another of theirs, or none.
create or replace function private.reset_active_organization(p_user_id uuid, p_left uuid) returns void
language sql security definer set search_path = '' as $$
  update public.profiles set organization_id = (
    select organization_id from public.organization_members where user_id = p_user_id order by created_at limit 1)
  where id = p_user_id and organization_id = p_left
$$;
revoke execute on function private.reset_active_organization(uuid, uuid) from public;

create or replace function public.change_member_role(p_organization_id uuid, p_user_id uuid, p_role text) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_caller_role text;
  v_current text;
begin
  if p_role is null or private.role_rank(p_role) is null then
    raise exception using errcode = '22023', message = 'invalid_role', detail = 'role must be owner, admin, recruiter or viewer';
  end if;
  v_caller_role := private.lock_organization_as_member(p_organization_id);
  select role into v_current from public.organization_members
  where organization_id = p_organization_id and user_id = p_user_id for update;
  if not found then
    raise exception using errcode = 'PT404', message = 'member_not_found', detail = 'no such member';
  end if;
  if v_caller_role not in ('owner', 'admin')
     or (v_caller_role = 'admin' and (private.role_rank(v_current) >= 3 or private.role_rank(p_role) >= 3)) then
    raise exception using errcode = '42501', message = 'role_too_high',
      detail = 'owners change any role; admins only roles below admin';
  end if;
  update public.organization_members set role = p_role
  where organization_id = p_organization_id and user_id = p_user_id;
  return jsonb_build_object('organization_id', p_organization_id, 'user_id', p_user_id, 'role', p_role, 'previous_role', v_current);
end
$$;
revoke execute on function public.change_member_role(uuid, uuid, text) from public, anon;
grant execute on function public.change_member_role(uuid, uuid, text) to authenticated;

create or replace function public.remove_member(p_organization_id uuid, p_user_id uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
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
  if v_caller_role not in ('owner', 'admin') or (v_caller_role = 'admin' and private.role_rank(v_role) >= 3) then
    raise exception using errcode = '42501', message = 'role_too_high',
      detail = 'owners remove anyone; admins only recruiters and viewers';
  end if;
  delete from public.organization_members where organization_id = p_organization_id and user_id = p_user_id;
  perform private.reset_active_organization(p_user_id, p_organization_id);
  return jsonb_build_object('organization_id', p_organization_id, 'user_id', p_user_id, 'removed', true);
end
$$;
revoke execute on function public.remove_member(uuid, uuid) from public, anon;
grant execute on function public.remove_member(uuid, uuid) to authenticated;

create or replace function public.leave_organization(p_organization_id uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
begin
  perform private.lock_organization_as_member(p_organization_id);
  if not exists (select 1 from public.organization_members where organization_id = p_organization_id and user_id = auth.uid()) then
    raise exception using errcode = '42501', message = 'not_member', detail = 'you are not a member of this organization';
  end if;
  perform set_config('app.audit_action', 'member.left', true);
  delete from public.organization_members where organization_id = p_organization_id and user_id = auth.uid();
  perform set_config('app.audit_action', '', true);
  perform private.reset_active_organization(auth.uid(), p_organization_id);
  return jsonb_build_object('organization_id', p_organization_id, 'left', true);
end
$$;
revoke execute on function public.leave_organization(uuid) from public, anon;
grant execute on function public.leave_organization(uuid) to authenticated;

create or replace function public.transfer_ownership(p_organization_id uuid, p_user_id uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
begin
  perform private.lock_organization_as_member(p_organization_id);
  if not exists (select 1 from public.organization_members
                 where organization_id = p_organization_id and user_id = auth.uid() and role = 'owner') then
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
revoke execute on function public.transfer_ownership(uuid, uuid) from public, anon;
grant execute on function public.transfer_ownership(uuid, uuid) to authenticated;

create or replace function public.set_active_organization(p_organization_id uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
begin
  if not exists (select 1 from public.organization_members where organization_id = p_organization_id and user_id = auth.uid()) then
    raise exception using errcode = '42501', message = 'not_member', detail = 'you are not a member of this organization';
  end if;
  update public.profiles set organization_id = p_organization_id where id = auth.uid();
  return jsonb_build_object('organization_id', p_organization_id);
end
$$;
revoke execute on function public.set_active_organization(uuid) from public, anon;
grant execute on function public.set_active_organization(uuid) to authenticated;

-- The active organization in the JWT: a Supabase Custom Access Token Hook --------------------------
-- Enable it in supabase/config.toml ([auth.hook.custom_access_token]) or on a hosted project
-- under Authentication → Hooks. Supabase Auth calls it as supabase_auth_admin with
-- {user_id, claims, authentication_method} and uses the claims it returns.

create or replace function public.custom_access_token_hook(event jsonb) returns jsonb
language plpgsql stable security definer set search_path = '' as $$
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
    v_claims || jsonb_build_object('organization_id', v_organization_id, 'org_role', v_role));
end
$$;
revoke execute on function public.custom_access_token_hook(jsonb) from public, anon, authenticated;
grant execute on function public.custom_access_token_hook(jsonb) to supabase_auth_admin;
grant usage on schema public to supabase_auth_admin;

-- send-invite-email: owners and admins of the invite's organization send its invites too,
-- not only platform admins; one address is not re-sent within 60 s, and an organization
-- sends at most private.invite_rate_per_hour() invites an hour (both 429 rate_limited,
-- with retry_after in the details).
create or replace function public.issue_invite_token(p_invite_id uuid, p_token_hash text, p_ttl_hours integer default 72)
returns jsonb
language plpgsql security definer set search_path = '' as $$
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
          or coalesce(private.caller_role(v_invite.organization_id) in ('owner', 'admin'), false)) then
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
$$;
revoke execute on function public.issue_invite_token(uuid, text, integer) from public, anon;
grant execute on function public.issue_invite_token(uuid, text, integer) to authenticated, service_role;
