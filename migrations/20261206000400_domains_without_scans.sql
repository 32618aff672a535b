-- Cost as the data grows (issue 33), the ways in: switching a verified domain to automatic
-- invitation found the users already at it by reading every row of auth.users (their
-- email's hostname computed for each), a second a million users. A hosted project's
-- `postgres` may not index auth.users, so the hostname of every confirmed address is kept
-- beside it, indexed, by the trigger that already watches confirmations.

-- An IMMUTABLE SQL function with a `set` clause is never inlined: each call saved and
-- restored the setting. This one names only built-in functions.
create or replace function private.email_hostname(p_email text)
returns text language sql immutable as $$
  select nullif(lower(split_part(p_email, '@', 2)), '')
$$;

create table private.confirmed_email_hostnames (
  user_id uuid primary key references auth.users (id) on delete cascade,
  hostname text not null
);
create index confirmed_email_hostnames_hostname_idx on private.confirmed_email_hostnames (hostname);
comment on table private.confirmed_email_hostnames is 'The hostname of every confirmed email address, kept by the trigger on auth.users that watches confirmations: what enrollment by domain looks users up by (auth.users cannot be indexed by the project).';
alter table private.confirmed_email_hostnames enable row level security;

insert into private.confirmed_email_hostnames (user_id, hostname)
select id, private.email_hostname(email) from auth.users
where email_confirmed_at is not null and private.email_hostname(email) is not null;

create or replace function private.invite_confirmed_user_through_domains()
returns trigger language plpgsql security definer set search_path = '' as $$
declare
  v_domain public.organization_domains;
begin
  if tg_op = 'UPDATE' and old.email_confirmed_at is not distinct from new.email_confirmed_at
     and old.email is not distinct from new.email then
    return null;
  end if;
  -- The hostname the user is found by: only while the address is confirmed.
  if new.email_confirmed_at is null or private.email_hostname(new.email) is null then
    delete from private.confirmed_email_hostnames where user_id = new.id;
    return null;
  end if;
  insert into private.confirmed_email_hostnames (user_id, hostname)
  values (new.id, private.email_hostname(new.email))
  on conflict (user_id) do update set hostname = excluded.hostname;
  if tg_op = 'UPDATE' and old.email_confirmed_at is not null and old.email is not distinct from new.email then
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
comment on function private.invite_confirmed_user_through_domains() is 'At email confirmation (and when a confirmed address changes): keeps the address''s hostname in private.confirmed_email_hostnames, and makes the invites of every verified automatic_invitation domain at it.';

create or replace function public.set_domain_enrollment(p_domain_id uuid, p_mode text, p_default_role text default 'viewer')
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
    -- The confirmed users at the hostname, through its index (not a read of auth.users).
    for v_user in select u.email from private.confirmed_email_hostnames h
                  join auth.users u on u.id = h.user_id
                  where h.hostname = v_domain.hostname and u.email_confirmed_at is not null
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
