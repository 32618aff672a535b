-- Directory users linked by an index (issue 32, found by the bench's first sync): linking a
-- directory user to an account looked the address up in auth.users, which the project
-- cannot index (its own email index is partial, for non-SSO users, and the table is Auth's):
-- a scan of every user per provisioned person — 12 ms of PostgreSQL per SCIM create at
-- 100,000 users, and a group of 100 people waiting for signup scanned a hundred times.
-- Confirmed addresses are now kept in a table of ours by the trigger that already watches
-- confirmations, as private.confirmed_email_hostnames is for enrollment by domain.

create table private.confirmed_emails (
  user_id uuid primary key references auth.users (id) on delete cascade,
  email text not null check (email = lower(email))
);
comment on table private.confirmed_emails is 'Every confirmed email address (lower-cased) and its user, kept by the trigger on auth.users that watches confirmations: what a directory user is linked by (auth.users cannot be indexed by the project).';
create index confirmed_emails_email_idx on private.confirmed_emails (email);
alter table private.confirmed_emails enable row level security;
revoke all on private.confirmed_emails from public, anon, authenticated;

insert into private.confirmed_emails (user_id, email)
select id, lower(email) from auth.users where email_confirmed_at is not null and email is not null;

create or replace function private.complete_directory_memberships()
returns trigger language plpgsql security definer set search_path = '' as $$
declare
  v_id uuid;
begin
  if new.email_confirmed_at is null or new.email is null then
    delete from private.confirmed_emails where user_id = new.id;
    return null;
  end if;
  insert into private.confirmed_emails (user_id, email) values (new.id, lower(new.email))
  on conflict (user_id) do update set email = excluded.email;
  if tg_op = 'UPDATE' and old.email_confirmed_at is not null and old.email is not distinct from new.email then
    return null;
  end if;
  for v_id in select d.id from public.directory_users d
              where d.email = lower(new.email) and d.user_id is null and d.active
              order by d.created_at loop
    begin
      if 'directory-sync' = any (private.enabled_features((select organization_id from public.directory_users where id = v_id))) then
        perform private.directory_sync_member(v_id);
      end if;
    exception when sqlstate 'PT403' or sqlstate 'PT410' then
      null; -- no seat, or the organization is going: the person still confirms; the entry stays pending
    end;
  end loop;
  return null;
end
$$;

create or replace function private.directory_sync_member(p_id uuid)
returns void language plpgsql security definer set search_path = '' as $$
declare
  v_entry public.directory_users;
  v_user auth.users;
  v_current text;
  v_role text;
begin
  select * into v_entry from public.directory_users where id = p_id for update;
  if not found then
    return;
  end if;
  -- Linked by a confirmed address only: an unconfirmed account for someone else's address
  -- gets nothing.
  if v_entry.user_id is null and v_entry.active and v_entry.email is not null then
    select u.* into v_user from private.confirmed_emails c join auth.users u on u.id = c.user_id
    where c.email = v_entry.email
      and not exists (select 1 from public.directory_users o
                      where o.organization_id = v_entry.organization_id and o.user_id = u.id)
    order by u.created_at
    limit 1;
    if v_user.id is not null then
      update public.directory_users set user_id = v_user.id where id = p_id;
      v_entry.user_id := v_user.id;
    end if;
  end if;
  v_role := private.directory_role(v_entry);
  if v_entry.user_id is not null then
    select m.role into v_current from public.organization_members m
    where m.organization_id = v_entry.organization_id and m.user_id = v_entry.user_id for update;
    if not v_entry.active then
      if v_current is not null then
        perform private.directory_remove_member(v_entry, 'member.suspended');
      end if;
    elsif v_current is null then
      perform private.require_usable_organization(v_entry.organization_id);
      perform private.require_seat(v_entry.organization_id);
      select * into v_user from auth.users where id = v_entry.user_id;
      insert into public.profiles (id, email, full_name)
      values (v_user.id, v_user.email, private.signup_full_name(v_user.raw_user_meta_data, v_user.email))
      on conflict (id) do nothing;
      perform set_config('app.join_via', 'scim', true);
      perform set_config('app.audit_action', 'member.provisioned', true);
      insert into public.organization_members (organization_id, user_id, role)
      values (v_entry.organization_id, v_entry.user_id, v_role);
      perform set_config('app.audit_action', '', true);
      perform set_config('app.join_via', '', true);
      update public.profiles set organization_id = v_entry.organization_id
      where id = v_entry.user_id and organization_id is null;
    elsif v_current = 'owner' then
      v_role := 'owner'; -- a directory never grants owner, nor takes it
    elsif v_current <> v_role then
      update public.organization_members set role = v_role
      where organization_id = v_entry.organization_id and user_id = v_entry.user_id;
    end if;
  end if;
  update public.directory_users set role = v_role where id = p_id and role is distinct from v_role;
end
$$;
