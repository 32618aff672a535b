-- Ways into an organization (issue 20): several verified domains per organization, each
-- with an enrollment mode; shareable invite links; join requests; invites accepted by id.
--
-- Enrollment matches the exact hostname of a user's confirmed email: `ann@acme.com` is at
-- acme.com, `bob@eu.acme.com` is not. Verification proved control of that one name, and a
-- subdomain's mail may be run by someone else (a vendor, a delegated team), so it counts
-- only once it is verified itself.

-- Domains: one row per (organization, hostname), each with its own state. -------------------
alter table public.organization_domains add column id uuid not null default gen_random_uuid();
alter table public.organization_domains drop constraint organization_domains_pkey;
alter table public.organization_domains add constraint organization_domains_pkey primary key (id);
alter table public.organization_domains
  add constraint organization_domains_organization_id_hostname_key unique (organization_id, hostname);
alter table public.organization_domains
  add column enrollment_mode text not null default 'manual'
    check (enrollment_mode in ('manual', 'automatic_invitation', 'automatic_suggestion')),
  add column default_role text not null default 'viewer' check (default_role in ('admin', 'recruiter', 'viewer')),
  add column created_by uuid references auth.users (id) on delete set null;
grant select (id, enrollment_mode, default_role, created_by) on public.organization_domains to authenticated;

-- Invites a verified domain made (never emailed unless someone sends them).
alter table public.onboarding_invites
  add column domain_id uuid references public.organization_domains (id) on delete set null;
create index onboarding_invites_domain_idx on public.onboarding_invites (domain_id) where domain_id is not null;
grant select (domain_id) on public.onboarding_invites to authenticated;

-- Shareable invite links: not bound to an email; the token is shown once, stored hashed.
create table public.invite_links (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  -- A system role below owner, or one of the organization's custom roles.
  role text not null check (role <> 'owner'),
  max_uses integer check (max_uses between 1 and 10000),
  uses integer not null default 0 check (uses >= 0 and (max_uses is null or uses <= max_uses)),
  expires_at timestamptz not null,
  allowed_domain text check (char_length(allowed_domain) <= 253),
  revoked_at timestamptz,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now()
);
create index invite_links_organization_idx on public.invite_links (organization_id, created_at);
alter table public.invite_links enable row level security;
grant all on public.invite_links to service_role;
grant select (id, organization_id, role, max_uses, uses, expires_at, allowed_domain, revoked_at, created_by, created_at)
  on public.invite_links to authenticated;
create trigger check_role_exists before insert or update of role on public.invite_links
  for each row execute function private.check_role_exists();
create policy "inviters read their organization's links" on public.invite_links
  for select to authenticated using (organization_id in (select private.permitted_organization_ids('org:members:invite')));

-- Requests to join an organization that suggests itself to a verified domain's users.
create table public.organization_join_requests (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  email text not null,
  domain_id uuid references public.organization_domains (id) on delete set null,
  status text not null default 'pending' check (status in ('pending', 'approved', 'denied')),
  role text check (role in ('admin', 'recruiter', 'viewer')),
  decided_by uuid references auth.users (id) on delete set null,
  decided_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((status = 'pending') = (decided_at is null))
);
create unique index organization_join_requests_one_pending
  on public.organization_join_requests (organization_id, user_id) where status = 'pending';
create index organization_join_requests_user_idx on public.organization_join_requests (user_id);
create trigger touch_updated_at before update on public.organization_join_requests
  for each row execute function private.touch_updated_at();
alter table public.organization_join_requests enable row level security;
grant all on public.organization_join_requests to service_role;
grant select on public.organization_join_requests to authenticated;
create policy "requesters read their requests" on public.organization_join_requests
  for select to authenticated using (user_id = (select auth.uid()));
create policy "member managers read their organization's requests" on public.organization_join_requests
  for select to authenticated using (organization_id in (select private.permitted_organization_ids('org:members:manage')));

-- Helpers. ------------------------------------------------------------------------------

-- A role an owner or admin may grant through a domain, a link or a request: one that exists
-- there (a custom role only where `p_custom`), never owner, holding nothing the granter lacks.
create function private.check_grantable_role(p_organization_id uuid, p_role text, p_custom boolean)
returns void language plpgsql security definer set search_path = '' as $$
begin
  if p_role is null or not private.role_exists(p_organization_id, p_role)
     or (not p_custom and p_role not in ('owner', 'admin', 'recruiter', 'viewer')) then
    raise exception using errcode = '22023', message = 'invalid_role',
      detail = case when p_custom then 'role must be admin, recruiter, viewer or one of the organization''s roles'
                    else 'role must be admin, recruiter or viewer' end;
  end if;
  if p_role = 'owner' or not private.may_grant(p_organization_id, p_role) then
    raise exception using errcode = '42501', message = 'role_too_high',
      detail = 'never owner, and never a role holding a permission you lack';
  end if;
end
$$;
revoke all on function private.check_grantable_role(uuid, text, boolean) from public;

-- The hostname of a confirmed email address, lower case.
create function private.email_hostname(p_email text)
returns text language sql immutable set search_path = '' as $$
  select nullif(lower(split_part(p_email, '@', 2)), '')
$$;
revoke all on function private.email_hostname(text) from public;

-- Why no organization may claim this hostname (null when it may): a free or public
-- webmail domain, or a public suffix (co.uk, github.io, anything under a `*.` rule).
create function private.domain_refusal(p_hostname text)
returns text language sql stable set search_path = '' as $$
  select case
    when exists (select 1 from private.free_email_domains where hostname = p_hostname)
      then 'a free or public webmail domain: anyone can have an address there'
    when exists (select 1 from private.public_suffix_rules where rule = p_hostname)
      or (exists (select 1 from private.public_suffix_rules
                  where rule = '*.' || substring(p_hostname from '^[^.]+\.(.+)$'))
          and not exists (select 1 from private.public_suffix_rules where rule = '!' || p_hostname))
      then 'a public suffix: names under it belong to different owners'
  end
$$;
revoke all on function private.domain_refusal(text) from public;

-- Whether the plan has a seat for one more member (pending invites hold seats). Locks the
-- organization, so concurrent joins count one after another.
create function private.seat_available(p_organization_id uuid)
returns boolean language plpgsql security definer set search_path = '' as $$
declare
  v_limit integer;
begin
  perform 1 from public.organizations where id = p_organization_id for update;
  select p.member_limit into v_limit
  from public.organizations o join public.plans p on p.id = o.plan_id where o.id = p_organization_id;
  return v_limit is null or v_limit > (
    (select count(*) from public.organization_members where organization_id = p_organization_id)
    + (select count(*) from public.onboarding_invites
       where organization_id = p_organization_id and status = 'pending' and expires_at > now()));
end
$$;
revoke all on function private.seat_available(uuid) from public;

create function private.require_seat(p_organization_id uuid)
returns void language plpgsql security definer set search_path = '' as $$
begin
  if not private.seat_available(p_organization_id) then
    raise exception using errcode = 'PT403', message = 'member_limit_reached',
      detail = 'the plan''s member limit is reached (pending invites included)';
  end if;
end
$$;
revoke all on function private.require_seat(uuid) from public;

-- Adds the user to the organization (never a second membership) and makes it their active
-- one; `p_via` says how they came in (the audit row and `member.added` carry it).
-- Returns the membership: {organization_id, membership_id, role}.
create function private.join_organization(p_organization_id uuid, p_user auth.users, p_role text, p_via text,
                                          p_set_role boolean default false)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_membership public.organization_members;
begin
  -- The signup webhook may not have run yet: the profile is created here if need be.
  insert into public.profiles (id, email, full_name)
  values (p_user.id, p_user.email, private.signup_full_name(p_user.raw_user_meta_data, p_user.email))
  on conflict (id) do nothing;
  perform set_config('app.join_via', p_via, true);
  insert into public.organization_members (organization_id, user_id, role)
  values (p_organization_id, p_user.id, p_role)
  on conflict (organization_id, user_id) do update set role = excluded.role where p_set_role;
  perform set_config('app.join_via', '', true);
  update public.profiles set organization_id = p_organization_id where id = p_user.id;
  select * into v_membership from public.organization_members
  where organization_id = p_organization_id and user_id = p_user.id;
  return jsonb_build_object('organization_id', p_organization_id, 'membership_id', v_membership.id,
                            'role', v_membership.role);
end
$$;
revoke all on function private.join_organization(uuid, auth.users, text, text, boolean) from public;

-- Where a new member lands: setup while the organization is pending, else its team.
create function private.landing_page(p_organization_id uuid)
returns text language sql stable security definer set search_path = '' as $$
  select case when status = 'pending-activation' then '/onboarding/' else '/org/' end || id
         || case when status = 'pending-activation' then '' else '/team' end
  from public.organizations where id = p_organization_id
$$;
revoke all on function private.landing_page(uuid) from public;

-- member.added says how the member came in.
create or replace function private.audit_membership()
returns trigger language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'INSERT' then
    perform private.audit(new.organization_id, 'member.added', new.user_id, null, null,
                          jsonb_strip_nulls(jsonb_build_object('role', new.role,
                            'via', nullif(current_setting('app.join_via', true), ''))));
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

-- Domains. --------------------------------------------------------------------------------

-- A domain as its organization's members see it.
create function private.domain_view(p_domain public.organization_domains)
returns jsonb language sql stable set search_path = '' as $$
  select jsonb_build_object(
    'id', p_domain.id, 'organization_id', p_domain.organization_id, 'hostname', p_domain.hostname,
    'status', case when p_domain.verified_at is not null then 'verified'
                   when p_domain.lookup_request_id is not null then 'checking'
                   else coalesce(p_domain.last_check_result, 'unverified') end,
    'verified', p_domain.verified_at is not null, 'verified_at', p_domain.verified_at,
    'checked_at', p_domain.last_checked_at,
    'enrollment_mode', p_domain.enrollment_mode, 'default_role', p_domain.default_role,
    'txt_record', jsonb_build_object('type', 'TXT', 'name', p_domain.txt_name, 'value', p_domain.txt_value))
$$;
revoke all on function private.domain_view(public.organization_domains) from public;

-- The organization's domain for this hostname, added (unverified, with a fresh challenge)
-- when it has none. Refuses invalid hostnames, webmail and public suffixes, a hostname
-- another organization verified, and more than 20 domains. Callers check the caller.
create function private.add_domain(p_organization_id uuid, p_hostname text)
returns public.organization_domains language plpgsql security definer set search_path = '' as $$
declare
  v_hostname text := rtrim(lower(btrim(coalesce(p_hostname, ''))), '.');
  v_refusal text;
  v_domain public.organization_domains;
begin
  if not private.is_hostname(v_hostname) then
    raise exception using errcode = '22023', message = 'invalid_hostname',
      detail = 'hostname: a DNS name such as acme.com (labels of a-z, 0-9, -)';
  end if;
  v_refusal := private.domain_refusal(v_hostname);
  if v_refusal is not null then
    raise exception using errcode = '22023', message = 'domain_not_allowed', detail = v_hostname || ' is ' || v_refusal;
  end if;
  if exists (select 1 from public.organization_domains
             where hostname = v_hostname and verified_at is not null and organization_id <> p_organization_id) then
    raise exception using errcode = '23505', message = 'domain_taken',
      detail = 'another organization has verified this hostname';
  end if;
  select * into v_domain from public.organization_domains
  where organization_id = p_organization_id and hostname = v_hostname;
  if found then
    return v_domain;
  end if;
  if (select count(*) from public.organization_domains where organization_id = p_organization_id) >= 20 then
    raise exception using errcode = 'PT403', message = 'domain_limit_reached',
      detail = 'an organization has at most 20 domains: remove one first';
  end if;
  insert into public.organization_domains (organization_id, hostname, txt_name, txt_value, created_by)
  values (p_organization_id, v_hostname, '_onboarding-verification.' || v_hostname,
          'onboarding-verification=' || encode(extensions.gen_random_bytes(16), 'hex'), auth.uid())
  returning * into v_domain;
  perform private.audit(p_organization_id, 'domain.added', null, null, null,
                        jsonb_build_object('domain_id', v_domain.id, 'hostname', v_hostname));
  return v_domain;
end
$$;
revoke all on function private.add_domain(uuid, text) from public;

-- The domain, locked, for its organization's owners and admins; `domain_not_found` for
-- everyone else who is not a member (a member who is not an admin: `not_org_admin`).
create function private.administered_domain(p_domain_id uuid, p_what text)
returns public.organization_domains language plpgsql security definer set search_path = '' as $$
declare
  v_domain public.organization_domains;
begin
  select * into v_domain from public.organization_domains where id = p_domain_id;
  if not found or private.caller_role(v_domain.organization_id) is null then
    raise exception using errcode = 'PT404', message = 'domain_not_found', detail = 'no such domain';
  end if;
  perform private.require_permission(v_domain.organization_id, 'org:domains:manage', 'only those who manage domains ' || p_what);
  select * into v_domain from public.organization_domains where id = p_domain_id for update;
  return v_domain;
end
$$;
revoke all on function private.administered_domain(uuid, text) from public;

-- One check of a domain's TXT record over DNS-over-HTTPS (pg_net): reads the answer of
-- the lookup in flight, else starts one. Returns the domain as domain_view shows it.
-- Only this domain's row changes.
create function private.check_domain(p_domain_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_domain public.organization_domains;
  v_response record;
  v_result text;
begin
  select * into v_domain from public.organization_domains where id = p_domain_id for update;
  if v_domain.verified_at is null and v_domain.lookup_request_id is not null then
    select status_code, content, timed_out into v_response
    from net._http_response where id = v_domain.lookup_request_id;
    if found then
      v_result := case
        when v_response.status_code = 200 and private.doh_has_txt(v_response.content, v_domain.txt_name, v_domain.txt_value)
          then 'verified'
        when v_response.status_code = 200 then 'not_found'
        else 'lookup_failed' end;
      begin
        update public.organization_domains set
          lookup_request_id = null, last_checked_at = now(), last_check_result = v_result,
          verified_at = case when v_result = 'verified' then now() end
        where id = p_domain_id
        returning * into v_domain;
      exception when unique_violation then
        -- Another organization verified this hostname first.
        raise exception using errcode = '23505', message = 'domain_taken',
          detail = 'another organization has verified this hostname';
      end;
      if v_result = 'verified' then
        update public.organization_onboarding_phases set done = true
        where organization_id = v_domain.organization_id and phase = 'domain-verification'
          and data ->> 'hostname' = v_domain.hostname;
        perform private.audit(v_domain.organization_id, 'domain.verified', null, null, null,
                              jsonb_build_object('domain_id', v_domain.id, 'hostname', v_domain.hostname));
      end if;
      return private.domain_view(v_domain);
    elsif v_domain.lookup_requested_at > now() - interval '30 seconds' then
      return private.domain_view(v_domain);
    end if;
    -- No answer after 30 s (pg_net delivers at most once): ask again.
  end if;
  if v_domain.verified_at is not null then
    return private.domain_view(v_domain);
  end if;
  if exists (select 1 from public.organization_domains
             where hostname = v_domain.hostname and verified_at is not null and id <> v_domain.id) then
    raise exception using errcode = '23505', message = 'domain_taken',
      detail = 'another organization has verified this hostname';
  end if;
  update public.organization_domains set
    lookup_request_id = net.http_get(
      private.setting('doh_url', 'https://cloudflare-dns.com/dns-query'),
      jsonb_build_object('name', v_domain.txt_name, 'type', 'TXT'),
      '{"accept": "application/dns-json"}'::jsonb, 5000),
    lookup_requested_at = now()
  where id = p_domain_id
  returning * into v_domain;
  return private.domain_view(v_domain);
end
$$;
revoke all on function private.check_domain(uuid) from public;

-- Adds a domain to the organization: the TXT record to publish comes back. Adding the same
-- hostname again returns the same domain (`existing`); other domains are left as they are.
create function public.add_organization_domain(p_organization_id uuid, p_hostname text)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_existing boolean;
  v_domain public.organization_domains;
begin
  perform private.require_permission(p_organization_id, 'org:domains:manage', 'only those who manage domains add them');
  v_existing := exists (select 1 from public.organization_domains
                        where organization_id = p_organization_id
                          and hostname = rtrim(lower(btrim(coalesce(p_hostname, ''))), '.'));
  v_domain := private.add_domain(p_organization_id, p_hostname);
  return private.domain_view(v_domain) || jsonb_build_object('existing', v_existing);
end
$$;
revoke all on function public.add_organization_domain(uuid, text) from public, anon;
grant execute on function public.add_organization_domain(uuid, text) to authenticated;

-- Checks the domain's TXT record: `checking` (poll again), then `verified`, `not_found`
-- or `lookup_failed`. A hostname verified by another organization: `domain_taken`.
create function public.verify_organization_domain(p_domain_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
begin
  perform private.administered_domain(p_domain_id, 'verify domains');
  return private.check_domain(p_domain_id);
end
$$;
revoke all on function public.verify_organization_domain(uuid) from public, anon;
grant execute on function public.verify_organization_domain(uuid) to authenticated;

-- Removes the domain: its enrollment stops (pending invites it made are revoked); no other
-- domain changes.
create function public.remove_organization_domain(p_domain_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_domain public.organization_domains := private.administered_domain(p_domain_id, 'remove domains');
begin
  update public.onboarding_invites set status = 'revoked', revoked_at = now()
  where domain_id = p_domain_id and status = 'pending';
  delete from public.organization_domains where id = p_domain_id;
  update public.organization_onboarding_phases set done = false
  where organization_id = v_domain.organization_id and phase = 'domain-verification'
    and data ->> 'hostname' = v_domain.hostname;
  perform private.audit(v_domain.organization_id, 'domain.removed', null, null, null,
                        jsonb_build_object('domain_id', v_domain.id, 'hostname', v_domain.hostname));
  return jsonb_build_object('id', p_domain_id, 'hostname', v_domain.hostname, 'removed', true);
end
$$;
revoke all on function public.remove_organization_domain(uuid) from public, anon;
grant execute on function public.remove_organization_domain(uuid) to authenticated;

-- Enrollment. -----------------------------------------------------------------------------

-- A pending invite from a verified `automatic_invitation` domain for this address, unless
-- it is a member, already has a pending invite, or no seat is left. True when one was made.
create function private.invite_through_domain(p_domain public.organization_domains, p_email text)
returns boolean language plpgsql security definer set search_path = '' as $$
declare
  v_email text := lower(p_email);
begin
  if p_domain.verified_at is null or p_domain.enrollment_mode <> 'automatic_invitation'
     or private.email_hostname(v_email) is distinct from p_domain.hostname
     or exists (select 1 from public.organization_members m join auth.users u on u.id = m.user_id
                where m.organization_id = p_domain.organization_id and lower(u.email) = v_email)
     or exists (select 1 from public.onboarding_invites
                where organization_id = p_domain.organization_id and email = v_email and status = 'pending')
     or not private.seat_available(p_domain.organization_id) then
    return false;
  end if;
  insert into public.onboarding_invites (organization_id, email, role, expires_at, domain_id)
  values (p_domain.organization_id, v_email, p_domain.default_role, now() + interval '30 days', p_domain.id)
  on conflict (organization_id, email) where status = 'pending' do nothing;
  return found;
end
$$;
revoke all on function private.invite_through_domain(public.organization_domains, text) from public;

-- At email confirmation (and when a confirmed address changes): the invites of every
-- verified automatic_invitation domain at the address's exact hostname.
create function private.invite_confirmed_user_through_domains()
returns trigger language plpgsql security definer set search_path = '' as $$
declare
  v_domain public.organization_domains;
begin
  if new.email_confirmed_at is null or new.email is null
     or (tg_op = 'UPDATE' and old.email_confirmed_at is not null and old.email is not distinct from new.email) then
    return null;
  end if;
  for v_domain in select * from public.organization_domains
                  where hostname = private.email_hostname(new.email) and verified_at is not null
                    and enrollment_mode = 'automatic_invitation'
                  order by created_at loop
    perform private.invite_through_domain(v_domain, new.email);
  end loop;
  return null;
end
$$;
revoke all on function private.invite_confirmed_user_through_domains() from public;
create trigger invite_confirmed_user_through_domains
  after insert or update of email_confirmed_at, email on auth.users
  for each row execute function private.invite_confirmed_user_through_domains();

-- Sets how users at a verified domain come in: `manual` (by invitation only),
-- `automatic_invitation` (a pending invite at confirmation; for confirmed users already
-- there, now) or `automatic_suggestion` (they may ask to join), and the role they get.
create function public.set_domain_enrollment(p_domain_id uuid, p_mode text, p_default_role text default 'viewer')
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_domain public.organization_domains := private.administered_domain(p_domain_id, 'change enrollment');
  v_before jsonb := jsonb_build_object('enrollment_mode', v_domain.enrollment_mode, 'default_role', v_domain.default_role);
  v_user record;
  v_invited integer := 0;
  v_skipped integer := 0;
begin
  if p_mode is null or p_mode not in ('manual', 'automatic_invitation', 'automatic_suggestion') then
    raise exception using errcode = '22023', message = 'invalid_enrollment_mode',
      detail = 'mode: manual, automatic_invitation or automatic_suggestion';
  end if;
  perform private.check_grantable_role(v_domain.organization_id, p_default_role, false);
  if v_domain.verified_at is null then
    raise exception using errcode = 'PT409', message = 'domain_not_verified',
      detail = 'verify the domain before choosing how its users come in';
  end if;
  update public.organization_domains set enrollment_mode = p_mode, default_role = p_default_role
  where id = p_domain_id returning * into v_domain;
  if p_mode <> 'automatic_invitation' then
    update public.onboarding_invites set status = 'revoked', revoked_at = now()
    where domain_id = p_domain_id and status = 'pending';
  else
    update public.onboarding_invites set role = p_default_role
    where domain_id = p_domain_id and status = 'pending' and role <> p_default_role;
    for v_user in select u.email from auth.users u
                  where u.email_confirmed_at is not null and private.email_hostname(u.email) = v_domain.hostname
                  order by u.created_at loop
      if private.invite_through_domain(v_domain, v_user.email) then
        v_invited := v_invited + 1;
      elsif not private.seat_available(v_domain.organization_id)
            and not exists (select 1 from public.organization_members m join auth.users u on u.id = m.user_id
                            where m.organization_id = v_domain.organization_id and lower(u.email) = lower(v_user.email))
            and not exists (select 1 from public.onboarding_invites
                            where organization_id = v_domain.organization_id and email = lower(v_user.email)
                              and status = 'pending') then
        v_skipped := v_skipped + 1;
      end if;
    end loop;
  end if;
  if v_before is distinct from jsonb_build_object('enrollment_mode', p_mode, 'default_role', p_default_role) then
    perform private.audit(v_domain.organization_id, 'domain.enrollment_changed', null, null, v_before,
      jsonb_build_object('domain_id', v_domain.id, 'hostname', v_domain.hostname,
                         'enrollment_mode', p_mode, 'default_role', p_default_role));
  end if;
  return private.domain_view(v_domain) || jsonb_build_object('invited', v_invited, 'skipped_for_seats', v_skipped);
end
$$;
revoke all on function public.set_domain_enrollment(uuid, text, text) from public, anon;
grant execute on function public.set_domain_enrollment(uuid, text, text) to authenticated;

-- Join requests (automatic_suggestion). ------------------------------------------------------

-- The signed-in user with a confirmed email, or `not_signed_in` / `email_not_confirmed`.
create function private.confirmed_caller()
returns auth.users language plpgsql stable security definer set search_path = '' as $$
declare
  v_user auth.users;
begin
  select * into v_user from auth.users where id = auth.uid();
  if v_user.id is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  elsif v_user.email_confirmed_at is null then
    raise exception using errcode = '42501', message = 'email_not_confirmed', detail = 'confirm your email address first';
  end if;
  return v_user;
end
$$;
revoke all on function private.confirmed_caller() from public;

-- The verified domain of the organization at the user's email hostname (any mode), if any.
create function private.verified_domain_for(p_organization_id uuid, p_email text)
returns public.organization_domains language sql stable security definer set search_path = '' as $$
  select * from public.organization_domains
  where organization_id = p_organization_id and hostname = private.email_hostname(p_email) and verified_at is not null
$$;
revoke all on function private.verified_domain_for(uuid, text) from public;

create function private.join_request_view(p_request public.organization_join_requests)
returns jsonb language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
    'id', p_request.id, 'organization_id', p_request.organization_id,
    'organization_name', (select name from public.organizations where id = p_request.organization_id),
    'user_id', p_request.user_id, 'email', p_request.email,
    'full_name', (select full_name from public.profiles where id = p_request.user_id),
    'status', p_request.status, 'role', p_request.role, 'created_at', p_request.created_at,
    'decided_at', p_request.decided_at)
$$;
revoke all on function private.join_request_view(public.organization_join_requests) from public;

-- Organizations that suggest themselves to the caller: a verified automatic_suggestion
-- domain at their confirmed email's hostname, and they are not a member. With the state of
-- their request, if they made one.
create function public.my_suggestions()
returns jsonb language sql stable security definer set search_path = '' as $$
  select coalesce(jsonb_agg(jsonb_build_object(
      'organization_id', o.id, 'organization_name', o.name, 'hostname', d.hostname,
      'request', (select jsonb_build_object('id', r.id, 'status', r.status, 'created_at', r.created_at)
                  from public.organization_join_requests r
                  where r.organization_id = o.id and r.user_id = u.id
                  order by r.created_at desc limit 1))
      order by o.name), '[]'::jsonb)
  from auth.users u
  join public.organization_domains d
    on d.hostname = private.email_hostname(u.email) and d.verified_at is not null
   and d.enrollment_mode = 'automatic_suggestion'
  join public.organizations o on o.id = d.organization_id
  where u.id = auth.uid() and u.email_confirmed_at is not null
    and not exists (select 1 from public.organization_members m where m.organization_id = o.id and m.user_id = u.id)
$$;
revoke all on function public.my_suggestions() from public, anon;
grant execute on function public.my_suggestions() to authenticated;

-- Asks to join an organization that suggests itself to the caller. A request while one is
-- pending returns that request (`existing`); after a denial, no new request.
create function public.request_to_join(p_organization_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_user auth.users := private.confirmed_caller();
  v_domain public.organization_domains;
  v_request public.organization_join_requests;
begin
  perform 1 from public.organizations where id = p_organization_id for update;
  v_domain := private.verified_domain_for(p_organization_id, v_user.email);
  if v_domain.id is null or v_domain.enrollment_mode <> 'automatic_suggestion' then
    raise exception using errcode = '42501', message = 'join_not_available',
      detail = 'this organization does not take requests from your email domain';
  end if;
  if exists (select 1 from public.organization_members where organization_id = p_organization_id and user_id = v_user.id) then
    raise exception using errcode = '23505', message = 'already_member', detail = 'you are already a member';
  end if;
  select * into v_request from public.organization_join_requests
  where organization_id = p_organization_id and user_id = v_user.id order by created_at desc limit 1;
  if v_request.status = 'pending' then
    return private.join_request_view(v_request) || jsonb_build_object('existing', true);
  elsif v_request.status = 'denied' then
    raise exception using errcode = 'PT409', message = 'join_request_denied',
      detail = 'the organization declined your request; ask one of its admins for an invitation';
  end if;
  insert into public.organization_join_requests (organization_id, user_id, email, domain_id)
  values (p_organization_id, v_user.id, lower(v_user.email), v_domain.id)
  returning * into v_request;
  perform private.audit(p_organization_id, 'member.join_requested', v_user.id, null, null,
    jsonb_build_object('request_id', v_request.id, 'email', v_request.email, 'hostname', v_domain.hostname));
  return private.join_request_view(v_request) || jsonb_build_object('existing', false);
end
$$;
revoke all on function public.request_to_join(uuid) from public, anon;
grant execute on function public.request_to_join(uuid) to authenticated;

-- The caller's requests, newest first, each with its outcome.
create function public.my_join_requests()
returns jsonb language sql stable security definer set search_path = '' as $$
  select coalesce(jsonb_agg(private.join_request_view(r) order by r.created_at desc), '[]'::jsonb)
  from public.organization_join_requests r where r.user_id = auth.uid()
$$;
revoke all on function public.my_join_requests() from public, anon;
grant execute on function public.my_join_requests() to authenticated;

-- The organization's requests for its owners and admins: pending first, then the latest
-- 100 decided.
create function public.list_join_requests(p_organization_id uuid)
returns jsonb language plpgsql stable security definer set search_path = '' as $$
begin
  if private.caller_role(p_organization_id) is null or not public.authorize(p_organization_id, 'org:members:manage') then
    raise exception using errcode = '42501', message = 'not_org_admin', detail = 'only those who manage members see join requests';
  end if;
  return (select coalesce(jsonb_agg(private.join_request_view(r)
                            order by r.status = 'pending' desc, r.created_at desc), '[]'::jsonb)
          from (select * from public.organization_join_requests
                where organization_id = p_organization_id and status = 'pending'
                union all
                (select * from public.organization_join_requests
                 where organization_id = p_organization_id and status <> 'pending'
                 order by decided_at desc limit 100)) r);
end
$$;
revoke all on function public.list_join_requests(uuid) from public, anon;
grant execute on function public.list_join_requests(uuid) to authenticated;

-- The request, locked, for its organization's owners and admins (`request_not_found` for
-- anyone else), still pending (`join_request_not_pending`). Returns the granter's role.
create function private.pending_join_request(p_request_id uuid, out o_request public.organization_join_requests,
                                             out o_role text)
language plpgsql security definer set search_path = '' as $$
begin
  select * into o_request from public.organization_join_requests where id = p_request_id;
  if not found or private.caller_role(o_request.organization_id) is null then
    raise exception using errcode = 'PT404', message = 'request_not_found', detail = 'no such join request';
  end if;
  o_role := private.require_permission(o_request.organization_id, 'org:members:manage', 'only those who manage members decide join requests');
  select * into o_request from public.organization_join_requests where id = p_request_id for update;
  if o_request.status <> 'pending' then
    raise exception using errcode = 'PT409', message = 'join_request_not_pending',
      detail = format('the request is already %s', o_request.status);
  end if;
end
$$;
revoke all on function private.pending_join_request(uuid) from public;

-- Approves: the requester becomes a member with `p_role` (by default the domain's role),
-- while their domain is still verified and a seat is left.
create function public.approve_join_request(p_request_id uuid, p_role text default null)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_pending record := private.pending_join_request(p_request_id);
  v_request public.organization_join_requests := v_pending.o_request;
  v_user auth.users;
  v_domain public.organization_domains;
  v_role text;
  v_membership jsonb;
begin
  select * into v_user from auth.users where id = v_request.user_id;
  v_domain := private.verified_domain_for(v_request.organization_id, v_user.email);
  if v_domain.id is null or v_user.email_confirmed_at is null then
    raise exception using errcode = 'PT409', message = 'domain_not_verified',
      detail = 'the requester''s email domain is no longer verified for this organization';
  end if;
  v_role := coalesce(p_role, v_domain.default_role);
  perform private.check_grantable_role(v_request.organization_id, v_role, false);
  if not exists (select 1 from public.organization_members
                 where organization_id = v_request.organization_id and user_id = v_user.id) then
    perform private.require_seat(v_request.organization_id);
  end if;
  v_membership := private.join_organization(v_request.organization_id, v_user, v_role, 'join_request');
  update public.organization_join_requests set status = 'approved', role = v_membership ->> 'role',
    decided_by = auth.uid(), decided_at = now()
  where id = p_request_id returning * into v_request;
  return private.join_request_view(v_request) || jsonb_build_object('membership_id', v_membership -> 'membership_id');
end
$$;
revoke all on function public.approve_join_request(uuid, text) from public, anon;
grant execute on function public.approve_join_request(uuid, text) to authenticated;

create function public.deny_join_request(p_request_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_request public.organization_join_requests := (private.pending_join_request(p_request_id)).o_request;
begin
  update public.organization_join_requests set status = 'denied', decided_by = auth.uid(), decided_at = now()
  where id = p_request_id returning * into v_request;
  perform private.audit(v_request.organization_id, 'member.join_request_denied', v_request.user_id, null, null,
                        jsonb_build_object('request_id', v_request.id, 'email', v_request.email));
  return private.join_request_view(v_request);
end
$$;
revoke all on function public.deny_join_request(uuid) from public, anon;
grant execute on function public.deny_join_request(uuid) to authenticated;

-- Invite links. ------------------------------------------------------------------------------

create function private.invite_link_view(p_link public.invite_links)
returns jsonb language sql stable set search_path = '' as $$
  select jsonb_build_object(
    'id', p_link.id, 'organization_id', p_link.organization_id, 'role', p_link.role,
    'max_uses', p_link.max_uses, 'uses', p_link.uses,
    'uses_left', case when p_link.max_uses is not null then p_link.max_uses - p_link.uses end,
    'expires_at', p_link.expires_at, 'allowed_domain', p_link.allowed_domain,
    'revoked_at', p_link.revoked_at, 'created_by', p_link.created_by, 'created_at', p_link.created_at,
    'status', case when p_link.revoked_at is not null then 'revoked'
                   when p_link.expires_at <= now() then 'expired'
                   when p_link.uses >= p_link.max_uses then 'used_up'
                   else 'active' end)
$$;
revoke all on function private.invite_link_view(public.invite_links) from public;

-- A link anyone holding it may use to join (with a confirmed email; at `p_allowed_domain`
-- when given), as `p_role`, at most `p_max_uses` times, for `p_expires_in_hours`. The
-- token (32 bytes from the CSPRNG, base64url) is returned this once; only its SHA-256 is kept.
create function public.create_invite_link(p_organization_id uuid, p_role text default 'viewer',
                                          p_max_uses integer default null, p_expires_in_hours integer default 168,
                                          p_allowed_domain text default null)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_role text := private.require_permission(p_organization_id, 'org:members:invite', 'only those who invite create invite links');
  v_token text := translate(encode(extensions.gen_random_bytes(32), 'base64'), '+/=', '-_');
  v_domain text := rtrim(lower(btrim(p_allowed_domain)), '.');
  v_link public.invite_links;
begin
  perform private.check_grantable_role(p_organization_id, p_role, true);
  if p_max_uses is not null and p_max_uses not between 1 and 10000 then
    raise exception using errcode = '22023', message = 'invalid_max_uses', detail = 'max_uses: 1-10000, or none';
  end if;
  if p_expires_in_hours is null or p_expires_in_hours not between 1 and 720 then
    raise exception using errcode = '22023', message = 'invalid_ttl', detail = 'expires_in_hours: 1-720 (30 days)';
  end if;
  if v_domain is not null then
    if not private.is_hostname(v_domain) then
      raise exception using errcode = '22023', message = 'invalid_hostname',
        detail = 'allowed_domain: a DNS name such as acme.com';
    elsif private.domain_refusal(v_domain) is not null then
      raise exception using errcode = '22023', message = 'domain_not_allowed',
        detail = v_domain || ' is ' || private.domain_refusal(v_domain);
    end if;
  end if;
  insert into public.invite_links (organization_id, token_hash, role, max_uses, expires_at, allowed_domain, created_by)
  values (p_organization_id, encode(sha256(convert_to(v_token, 'UTF8')), 'hex'), p_role, p_max_uses,
          now() + make_interval(hours => p_expires_in_hours), v_domain, auth.uid())
  returning * into v_link;
  perform private.audit(p_organization_id, 'invite_link.created', null, null, null,
    jsonb_strip_nulls(jsonb_build_object('link_id', v_link.id, 'role', v_link.role, 'max_uses', v_link.max_uses,
                                         'expires_at', v_link.expires_at, 'allowed_domain', v_link.allowed_domain)));
  return private.invite_link_view(v_link) || jsonb_build_object('token', v_token);
end
$$;
revoke all on function public.create_invite_link(uuid, text, integer, integer, text) from public, anon;
grant execute on function public.create_invite_link(uuid, text, integer, integer, text) to authenticated;

create function public.list_invite_links(p_organization_id uuid)
returns jsonb language plpgsql stable security definer set search_path = '' as $$
begin
  if private.caller_role(p_organization_id) is null or not public.authorize(p_organization_id, 'org:members:invite') then
    raise exception using errcode = '42501', message = 'not_org_admin', detail = 'only those who invite see invite links';
  end if;
  return (select coalesce(jsonb_agg(private.invite_link_view(l) order by l.created_at desc), '[]'::jsonb)
          from public.invite_links l where l.organization_id = p_organization_id);
end
$$;
revoke all on function public.list_invite_links(uuid) from public, anon;
grant execute on function public.list_invite_links(uuid) to authenticated;

create function public.revoke_invite_link(p_link_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_link public.invite_links;
begin
  select * into v_link from public.invite_links where id = p_link_id;
  if not found or private.caller_role(v_link.organization_id) is null then
    raise exception using errcode = 'PT404', message = 'invite_link_not_found', detail = 'no such invite link';
  end if;
  perform private.require_permission(v_link.organization_id, 'org:members:invite', 'only those who invite revoke invite links');
  update public.invite_links set revoked_at = coalesce(revoked_at, now()) where id = p_link_id returning * into v_link;
  perform private.audit(v_link.organization_id, 'invite_link.revoked', null, null, null,
                        jsonb_build_object('link_id', v_link.id));
  return private.invite_link_view(v_link);
end
$$;
revoke all on function public.revoke_invite_link(uuid) from public, anon;
grant execute on function public.revoke_invite_link(uuid) to authenticated;

-- A link's state, as validate-invite and accept-invite answer it.
create function private.check_invite_link(p_link public.invite_links)
returns void language plpgsql stable set search_path = '' as $$
begin
  if p_link.revoked_at is not null then
    raise exception using message = 'invite_revoked';
  elsif p_link.expires_at <= now() then
    raise exception using message = 'invite_expired';
  elsif p_link.uses >= p_link.max_uses then
    raise exception using message = 'invite_link_used_up';
  end if;
end
$$;
revoke all on function private.check_invite_link(public.invite_links) from public;

-- The signed-in user joins through the link: the link row is locked, so concurrent
-- accepts count its uses one after another and never past `max_uses`. A member already
-- gets their membership back, unchanged, and uses nothing.
create function private.accept_invite_link(p_link_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_link public.invite_links;
  v_user auth.users;
  v_membership jsonb;
begin
  select * into v_link from public.invite_links where id = p_link_id for update;
  perform private.check_invite_link(v_link);
  select * into v_user from auth.users where id = auth.uid();
  if v_user.email_confirmed_at is null then
    raise exception using message = 'email_not_confirmed';
  end if;
  if v_link.allowed_domain is not null and private.email_hostname(v_user.email) is distinct from v_link.allowed_domain then
    raise exception using message = 'invite_link_wrong_domain', detail = v_link.allowed_domain;
  end if;
  if not exists (select 1 from public.organization_members
                 where organization_id = v_link.organization_id and user_id = v_user.id) then
    if not private.seat_available(v_link.organization_id) then
      raise exception using message = 'member_limit_reached';
    end if;
    update public.invite_links set uses = uses + 1 where id = p_link_id;
  end if;
  v_membership := private.join_organization(v_link.organization_id, v_user, v_link.role, 'invite_link');
  return v_membership || jsonb_build_object('redirect_to', private.landing_page(v_link.organization_id));
end
$$;
revoke all on function private.accept_invite_link(uuid) from public;

-- Invites: accepted by token (an email's or a link's) or, by the invitee, by id. -------------

-- The caller accepts the invite (row locked: concurrent accepts yield one membership). The
-- invite must be for the caller's confirmed email; a domain's invite also needs the
-- domain still verified and inviting.
create function private.accept_invite_row(p_invite_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_user auth.users;
  v_invite public.onboarding_invites;
  v_membership jsonb;
begin
  select * into v_invite from public.onboarding_invites where id = p_invite_id for update;
  if not found then
    raise exception using message = 'invite_not_found';
  elsif v_invite.status = 'revoked' then
    raise exception using message = 'invite_revoked';
  end if;
  select * into v_user from auth.users where id = auth.uid();
  if v_user.id is null or lower(v_user.email) is distinct from v_invite.email then
    raise exception using message = 'invite_wrong_user';
  end if;
  if v_invite.status = 'accepted' then
    if v_invite.accepted_by is distinct from v_user.id then
      raise exception using message = 'invite_already_accepted';
    end if;
    -- The same user again: the same answer.
    select jsonb_build_object('organization_id', m.organization_id, 'membership_id', m.id, 'role', m.role)
    into v_membership from public.organization_members m
    where m.organization_id = v_invite.organization_id and m.user_id = v_user.id;
  else
    if v_invite.status = 'expired' or v_invite.expires_at <= now() then
      raise exception using message = 'invite_expired';
    end if;
    if v_user.email_confirmed_at is null then
      raise exception using message = 'email_not_confirmed';
    end if;
    if v_invite.domain_id is not null and not exists (
        select 1 from public.organization_domains
        where id = v_invite.domain_id and verified_at is not null and enrollment_mode = 'automatic_invitation'
          and hostname = private.email_hostname(v_user.email)) then
      raise exception using message = 'invite_revoked';
    end if;
    -- An email invite sets the role it names; a domain's invite never changes a member's.
    v_membership := private.join_organization(v_invite.organization_id, v_user, v_invite.role,
      case when v_invite.domain_id is null then 'invite' else 'domain_invite' end, v_invite.domain_id is null);
    update public.onboarding_invites
    set status = 'accepted', accepted_at = now(), accepted_by = v_user.id
    where id = v_invite.id;
  end if;
  return coalesce(v_membership, jsonb_build_object('organization_id', v_invite.organization_id))
         || jsonb_build_object('redirect_to', private.landing_page(v_invite.organization_id));
end
$$;
revoke all on function private.accept_invite_row(uuid) from public;

create or replace function public.accept_invite(p_token_hash text)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_id uuid;
begin
  if auth.uid() is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  end if;
  select id into v_id from public.onboarding_invites where token_hash = p_token_hash;
  if found then
    return private.accept_invite_row(v_id);
  end if;
  select id into v_id from public.invite_links where token_hash = p_token_hash;
  if found then
    return private.accept_invite_link(v_id);
  end if;
  raise exception using message = 'invite_not_found';
end
$$;

-- The invitee accepts an invite from my_invites() by its id: one never emailed (a
-- verified domain's) too. Only the signed-in user whose confirmed email it is for.
create function public.accept_invite_by_id(p_invite_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
begin
  if auth.uid() is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  end if;
  return private.accept_invite_row(p_invite_id);
end
$$;
revoke all on function public.accept_invite_by_id(uuid) from public, anon;
grant execute on function public.accept_invite_by_id(uuid) to authenticated, service_role;

-- The preview behind an invitation's or a link's token: `kind` says which.
create or replace function public.validate_invite(p_token_hash text)
returns jsonb language plpgsql stable security definer set search_path = '' as $$
declare
  v_invite public.onboarding_invites;
  v_link public.invite_links;
  v_organization public.organizations;
  v_features text[];
begin
  select * into v_invite from public.onboarding_invites where token_hash = p_token_hash;
  if found then
    if v_invite.status = 'revoked' then
      raise exception using message = 'invite_revoked';
    elsif v_invite.status = 'accepted' then
      raise exception using message = 'invite_already_accepted';
    elsif v_invite.status = 'expired' or v_invite.expires_at <= now() then
      raise exception using message = 'invite_expired';
    end if;
  else
    select * into v_link from public.invite_links where token_hash = p_token_hash;
    if not found then
      raise exception using message = 'invite_not_found';
    end if;
    perform private.check_invite_link(v_link);
  end if;
  select * into v_organization from public.organizations where id = coalesce(v_invite.organization_id, v_link.organization_id);
  v_features := private.enabled_features(v_organization.id);
  return jsonb_build_object(
    'kind', case when v_link.id is null then 'invite' else 'link' end,
    'organization', jsonb_build_object('id', v_organization.id, 'name', v_organization.name, 'slug', v_organization.slug),
    'plan', (select jsonb_build_object('id', p.id, 'name', p.name) from public.plans p where p.id = v_organization.plan_id),
    'features', (select coalesce(jsonb_agg(jsonb_build_object('key', f.key, 'name', f.name) order by f.key), '[]')
                 from public.features f where f.key = any (v_features)),
    'feature_count', cardinality(v_features),
    'email', v_invite.email,
    'role', coalesce(v_invite.role, v_link.role),
    'expires_at', coalesce(v_invite.expires_at, v_link.expires_at),
    'allowed_domain', v_link.allowed_domain);
end
$$;

-- The caller's pending invites, each saying whether it came by email or from a domain.
create or replace function public.my_invites()
returns jsonb language sql stable security definer set search_path = '' as $$
  select coalesce(jsonb_agg(jsonb_build_object(
      'id', i.id, 'organization_id', i.organization_id, 'organization_name', o.name, 'role', i.role,
      'invited_by', p.full_name, 'expires_at', i.expires_at,
      'via', case when i.domain_id is null then 'email' else 'domain' end,
      'hostname', d.hostname) order by i.created_at), '[]'::jsonb)
  from auth.users u
  join public.onboarding_invites i on i.email = lower(u.email)
  join public.organizations o on o.id = i.organization_id
  left join public.profiles p on p.id = i.created_by
  left join public.organization_domains d on d.id = i.domain_id
  where u.id = auth.uid() and u.email_confirmed_at is not null
    and i.status = 'pending' and i.expires_at > now()
$$;

-- Owners and admins (not only owners) revoke their organization's invites.
create or replace function public.revoke_invite(p_invite_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_invite public.onboarding_invites;
begin
  select * into v_invite from public.onboarding_invites where id = p_invite_id for update;
  perform private.caller_role(v_invite.organization_id);
  if not found or not (private.is_platform_admin() or auth.role() = 'service_role'
                       or public.authorize(v_invite.organization_id, 'org:members:invite')) then
    raise exception using errcode = 'PT404', message = 'invite_not_found', detail = 'no such invitation';
  end if;
  if v_invite.status = 'accepted' then
    raise exception using errcode = 'PT409', message = 'invite_already_accepted',
      detail = 'an accepted invitation cannot be revoked';
  end if;
  update public.onboarding_invites
  set status = 'revoked', revoked_at = coalesce(revoked_at, now())
  where id = p_invite_id returning * into v_invite;
  return jsonb_build_object('invite_id', v_invite.id, 'status', v_invite.status, 'revoked_at', v_invite.revoked_at);
end
$$;

-- Seats: one count, shared with the invites' limits.
create or replace function private.check_invite_limits(p_organization_id uuid)
returns void language plpgsql security definer set search_path = '' as $$
declare
  v_recent integer;
  v_oldest timestamptz;
begin
  perform private.require_seat(p_organization_id);
  select count(*), min(created_at) into v_recent, v_oldest from public.onboarding_invites
  where organization_id = p_organization_id and created_at > now() - interval '1 hour';
  if v_recent >= private.invite_rate_per_hour() then
    perform private.raise_rate_limited(v_oldest + interval '1 hour');
  end if;
end
$$;

-- Events a webhook subscriber cares about, with the ways in.
create or replace function private.webhook_event_types()
returns text[] language sql immutable set search_path = '' as $$
  select array['organization.activated', 'invite.created', 'invite.accepted', 'invite.revoked', 'invite.declined',
               'member.added', 'member.removed', 'member.role_changed', 'ownership.transferred',
               'member.join_requested', 'member.join_request_denied', 'domain.verified', 'domain.removed',
               'tenant_user.onboarding.completed', 'tenant_user.onboarding.failed']
$$;

-- The onboarding phase domain-verification, on top of the organization's domains. -------------

CREATE OR REPLACE FUNCTION public.save_onboarding_phase(p_organization_id uuid, p_phase text, p_data jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_role text;
  v_features text[];
  v_title text;
  v_allowed text[];
  v_unknown text;
  v_data jsonb;
  v_done boolean := true;
  v_text text;
  v_url text;
  v_address jsonb;
  v_item jsonb;
  v_urls jsonb := '[]';
  v_api_key text;
  v_domain public.organization_domains;
begin
  if p_data is null or jsonb_typeof(p_data) <> 'object' or pg_column_size(p_data) > 32768 then
    raise exception using errcode = '22023', message = 'invalid_phase_data',
      detail = 'p_data must be a JSON object (at most 32 kB)';
  end if;
  v_role := private.lock_organization_as_member(p_organization_id);
  if not public.authorize(p_organization_id, case when p_phase = 'billing' then 'org:billing:manage' else 'org:settings:manage' end) then
    raise exception using errcode = '42501', message = 'not_org_admin',
      detail = 'only those who manage the organization''s settings (billing: its billing) save onboarding';
  end if;
  v_features := private.enabled_features(p_organization_id);
  select title into v_title from private.onboarding_phases(v_features) where key = p_phase;
  if not found then
    raise exception using errcode = '22023', message = 'invalid_phase', detail = format('no phase %L', p_phase);
  end if;
  if not exists (select 1 from private.onboarding_phases(v_features) where key = p_phase and shown) then
    raise exception using errcode = '42501', message = 'phase_not_available',
      detail = format('the organization''s features do not show the %s phase', p_phase);
  end if;

  v_allowed := case p_phase
    when 'organization-setup' then array['name', 'logo_url', 'industry', 'size_band', 'time_zone']
    when 'billing' then array['billing_email', 'legal_name', 'tax_id', 'address']
    when 'team' then array['completed']
    when 'privacy' then array['dpa_version', 'data_region']
    when 'domain-verification' then array['hostname']
    when 'brand-identity' then array['primary_color', 'accent_color', 'logo_url', 'sender_name']
    when 'integrations' then array['ats_provider', 'ats_api_key', 'webhook_urls']
  end;
  select key into v_unknown from jsonb_object_keys(p_data) key where key <> all (v_allowed) limit 1;
  if v_unknown is not null then
    raise exception using errcode = '22023', message = 'unknown_field',
      detail = format('%s has no field %L (fields: %s)', p_phase, v_unknown, array_to_string(v_allowed, ', '));
  end if;
  -- An explicit null is an absent optional field.
  p_data := jsonb_strip_nulls(p_data);

  if p_phase = 'organization-setup' then
    v_text := private.text_field(p_data -> 'name', 200);
    if v_text is null then
      raise exception using errcode = '22023', message = 'invalid_name', detail = 'name: 1-200 characters';
    end if;
    if p_data ? 'logo_url' and private.https_url(p_data -> 'logo_url') is null then
      raise exception using errcode = '22023', message = 'invalid_logo_url',
        detail = 'logo_url: an https URL of at most 2,048 characters';
    end if;
    if private.text_field(p_data -> 'industry', 100) is null then
      raise exception using errcode = '22023', message = 'invalid_industry', detail = 'industry: 1-100 characters';
    end if;
    if coalesce(p_data ->> 'size_band', '') <> all (array['1-10', '11-50', '51-200', '201-1000', '1001+'])
       or jsonb_typeof(p_data -> 'size_band') <> 'string' then
      raise exception using errcode = '22023', message = 'invalid_size_band',
        detail = 'size_band: one of 1-10, 11-50, 51-200, 201-1000, 1001+';
    end if;
    if jsonb_typeof(p_data -> 'time_zone') is distinct from 'string' or not private.is_time_zone(p_data ->> 'time_zone') then
      raise exception using errcode = '22023', message = 'invalid_time_zone',
        detail = 'time_zone: an IANA time zone name such as Europe/Berlin';
    end if;
    v_data := jsonb_build_object('name', v_text, 'industry', private.text_field(p_data -> 'industry', 100),
                                 'size_band', p_data -> 'size_band', 'time_zone', p_data -> 'time_zone')
              || jsonb_strip_nulls(jsonb_build_object('logo_url', p_data -> 'logo_url'));
    update public.organizations set name = v_text where id = p_organization_id and name is distinct from v_text;

  elsif p_phase = 'billing' then
    v_text := lower(private.text_field(p_data -> 'billing_email', 320));
    if v_text is null or v_text !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' then
      raise exception using errcode = '22023', message = 'invalid_billing_email',
        detail = 'billing_email: an email address of at most 320 characters';
    end if;
    if private.text_field(p_data -> 'legal_name', 200) is null then
      raise exception using errcode = '22023', message = 'invalid_legal_name', detail = 'legal_name: 1-200 characters';
    end if;
    if p_data ? 'tax_id' and coalesce(private.text_field(p_data -> 'tax_id', 32) !~ '^[A-Za-z0-9][A-Za-z0-9 .-]{1,31}$', true) then
      raise exception using errcode = '22023', message = 'invalid_tax_id',
        detail = 'tax_id: 2-32 letters, digits, spaces, dots and dashes';
    end if;
    v_address := p_data -> 'address';
    if jsonb_typeof(v_address) is distinct from 'object'
       or exists (select 1 from jsonb_object_keys(v_address) k
                  where k <> all (array['line1', 'line2', 'city', 'postal_code', 'region', 'country']))
       or private.text_field(v_address -> 'line1', 200) is null
       or private.text_field(v_address -> 'city', 100) is null
       or (v_address ? 'line2' and private.text_field(v_address -> 'line2', 200) is null)
       or (v_address ? 'postal_code' and private.text_field(v_address -> 'postal_code', 20) is null)
       or (v_address ? 'region' and private.text_field(v_address -> 'region', 100) is null) then
      raise exception using errcode = '22023', message = 'invalid_address',
        detail = 'address: {line1 (1-200), city (1-100), country, and optional line2, postal_code (1-20), region}';
    end if;
    if jsonb_typeof(v_address -> 'country') is distinct from 'string' or not private.is_country_code(v_address ->> 'country') then
      raise exception using errcode = '22023', message = 'invalid_country',
        detail = 'address.country: an ISO 3166-1 alpha-2 code such as DE';
    end if;
    v_data := jsonb_build_object('billing_email', v_text, 'legal_name', private.text_field(p_data -> 'legal_name', 200))
              || jsonb_strip_nulls(jsonb_build_object('tax_id', private.text_field(p_data -> 'tax_id', 32)))
              || jsonb_build_object('address', v_address);
    insert into public.organization_billing as b (organization_id, billing_email, legal_name, tax_id,
      address_line1, address_line2, city, postal_code, region, country)
    values (p_organization_id, v_text, v_data ->> 'legal_name', v_data ->> 'tax_id',
      btrim(v_address ->> 'line1'), btrim(v_address ->> 'line2'), btrim(v_address ->> 'city'),
      btrim(v_address ->> 'postal_code'), btrim(v_address ->> 'region'), v_address ->> 'country')
    on conflict (organization_id) do update set
      billing_email = excluded.billing_email, legal_name = excluded.legal_name, tax_id = excluded.tax_id,
      address_line1 = excluded.address_line1, address_line2 = excluded.address_line2, city = excluded.city,
      postal_code = excluded.postal_code, region = excluded.region, country = excluded.country;

  elsif p_phase = 'team' then
    if jsonb_typeof(p_data -> 'completed') is distinct from 'boolean' then
      raise exception using errcode = '22023', message = 'invalid_completed',
        detail = 'completed: true when the team step is done (inviting is optional)';
    end if;
    v_data := jsonb_build_object('completed', p_data -> 'completed');
    v_done := (p_data ->> 'completed')::boolean;

  elsif p_phase = 'privacy' then
    if coalesce(private.text_field(p_data -> 'dpa_version', 32) !~ '^[0-9A-Za-z][0-9A-Za-z._-]*$', true) then
      raise exception using errcode = '22023', message = 'invalid_dpa_version',
        detail = 'dpa_version: the accepted data-processing terms version (1-32 letters, digits, . _ -)';
    end if;
    if jsonb_typeof(p_data -> 'data_region') is distinct from 'string'
       or (p_data ->> 'data_region') <> all (array['eu', 'us', 'uk', 'ca', 'ap', 'af', 'sa']) then
      raise exception using errcode = '22023', message = 'invalid_data_region',
        detail = 'data_region: one of eu, us, uk, ca, ap, af, sa';
    end if;
    v_data := jsonb_build_object('dpa_version', p_data -> 'dpa_version', 'data_region', p_data -> 'data_region',
                                 'accepted_at', now());

  elsif p_phase = 'domain-verification' then
    -- The phase's hostname is one of the organization's domains (added if need be); a new
    -- hostname adds a domain and leaves the others as they were.
    v_domain := private.add_domain(p_organization_id, private.text_field(p_data -> 'hostname', 253));
    v_data := jsonb_build_object('hostname', v_domain.hostname);
    v_done := v_domain.verified_at is not null;

  elsif p_phase = 'brand-identity' then
    if coalesce(p_data ->> 'primary_color', '') !~ '^#[0-9a-fA-F]{6}$' or jsonb_typeof(p_data -> 'primary_color') <> 'string' then
      raise exception using errcode = '22023', message = 'invalid_primary_color', detail = 'primary_color: #rrggbb';
    end if;
    if coalesce(p_data ->> 'accent_color', '') !~ '^#[0-9a-fA-F]{6}$' or jsonb_typeof(p_data -> 'accent_color') <> 'string' then
      raise exception using errcode = '22023', message = 'invalid_accent_color', detail = 'accent_color: #rrggbb';
    end if;
    if p_data ? 'logo_url' and private.https_url(p_data -> 'logo_url') is null then
      raise exception using errcode = '22023', message = 'invalid_logo_url',
        detail = 'logo_url: an https URL of at most 2,048 characters';
    end if;
    v_text := private.text_field(p_data -> 'sender_name', 100);
    if v_text is null or v_text ~ '[<>@"]' then
      raise exception using errcode = '22023', message = 'invalid_sender_name',
        detail = 'sender_name: 1-100 characters, none of < > @ "';
    end if;
    v_data := jsonb_build_object('primary_color', lower(p_data ->> 'primary_color'),
                                 'accent_color', lower(p_data ->> 'accent_color'), 'sender_name', v_text)
              || jsonb_strip_nulls(jsonb_build_object('logo_url', p_data -> 'logo_url'));

  elsif p_phase = 'integrations' then
    if p_data ? 'ats_provider' and private.text_field(p_data -> 'ats_provider', 100) is null then
      raise exception using errcode = '22023', message = 'invalid_ats_provider', detail = 'ats_provider: 1-100 characters';
    end if;
    if p_data ? 'webhook_urls' then
      if jsonb_typeof(p_data -> 'webhook_urls') <> 'array' or jsonb_array_length(p_data -> 'webhook_urls') not between 1 and 10 then
        raise exception using errcode = '22023', message = 'invalid_webhook_urls',
          detail = 'webhook_urls: 1-10 https URLs';
      end if;
      for v_item in select value from jsonb_array_elements(p_data -> 'webhook_urls') loop
        v_url := private.https_url(v_item);
        if v_url is null then
          raise exception using errcode = '22023', message = 'invalid_webhook_urls',
            detail = 'webhook_urls: each an https URL of at most 2,048 characters';
        end if;
        v_urls := v_urls || to_jsonb(v_url);
      end loop;
    end if;
    if not (p_data ? 'ats_provider' or p_data ? 'webhook_urls') then
      raise exception using errcode = '22023', message = 'invalid_integrations',
        detail = 'give ats_provider, webhook_urls, or both';
    end if;
    if p_data ? 'ats_api_key' then
      v_api_key := private.text_field(p_data -> 'ats_api_key', 200);
      if v_api_key is null or char_length(v_api_key) < 8 or not p_data ? 'ats_provider' then
        raise exception using errcode = '22023', message = 'invalid_ats_api_key',
          detail = 'ats_api_key: 8-200 characters, with ats_provider';
      end if;
      insert into private.integration_secrets (organization_id, ats_api_key) values (p_organization_id, v_api_key)
      on conflict (organization_id) do update set ats_api_key = excluded.ats_api_key, updated_at = now();
    elsif not p_data ? 'ats_provider' then
      delete from private.integration_secrets where organization_id = p_organization_id;
    end if;
    v_data := jsonb_strip_nulls(jsonb_build_object(
      'ats_provider', private.text_field(p_data -> 'ats_provider', 100),
      'webhook_urls', case when p_data ? 'webhook_urls' then v_urls end,
      -- Whether a key is stored; the key itself is never echoed.
      'ats_api_key_set', case when p_data ? 'ats_provider'
        then exists (select 1 from private.integration_secrets where organization_id = p_organization_id) end));
  end if;

  insert into public.organization_onboarding_phases as p (organization_id, phase, data, done, saved_at, saved_by)
  values (p_organization_id, p_phase, v_data, v_done, now(), auth.uid())
  on conflict (organization_id, phase) do update set
    data = excluded.data, done = excluded.done, saved_at = excluded.saved_at, saved_by = excluded.saved_by;
  perform private.audit(p_organization_id, 'onboarding.phase_saved', null, null, null,
                        jsonb_build_object('phase', p_phase, 'done', v_done));
  return private.onboarding_phase_view(p_organization_id, p_phase, v_title);
end
$_$;

CREATE OR REPLACE FUNCTION private.onboarding_phase_view(p_organization_id uuid, p_key text, p_title text) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select jsonb_build_object(
    'key', p_key, 'title', p_title,
    'done', coalesce(p.done, false), 'saved_at', p.saved_at, 'saved_by', p.saved_by,
    'data', case when p_key = 'domain-verification' and d.id is not null
                 then coalesce(p.data, '{}') || jsonb_build_object(
                   'txt_record', jsonb_build_object('type', 'TXT', 'name', d.txt_name, 'value', d.txt_value),
                   'domain_id', d.id, 'verified', d.verified_at is not null, 'verified_at', d.verified_at,
                   'last_checked_at', d.last_checked_at, 'last_check_result', d.last_check_result)
                 else p.data end)
  from (select 1) one
  left join public.organization_onboarding_phases p on p.organization_id = p_organization_id and p.phase = p_key
  left join public.organization_domains d on d.organization_id = p_organization_id and p_key = 'domain-verification'
    and d.hostname = p.data ->> 'hostname'
$$;

-- The phase's domain: the one whose hostname the phase saved.
create or replace function public.verify_domain(p_organization_id uuid)
returns jsonb language plpgsql security definer set search_path = '' as $$
declare
  v_domain_id uuid;
begin
  perform private.require_permission(p_organization_id, 'org:domains:manage', 'only those who manage domains verify them');
  if not ('custom-domain' = any (private.enabled_features(p_organization_id))) then
    raise exception using errcode = '42501', message = 'phase_not_available',
      detail = 'the organization''s features do not include custom-domain';
  end if;
  select d.id into v_domain_id from public.organization_domains d
  join public.organization_onboarding_phases p
    on p.organization_id = d.organization_id and p.phase = 'domain-verification' and p.data ->> 'hostname' = d.hostname
  where d.organization_id = p_organization_id;
  if not found then
    raise exception using errcode = 'PT409', message = 'domain_not_saved',
      detail = 'save the domain-verification phase with a hostname first';
  end if;
  return private.check_domain(v_domain_id);
end
$$;
