-- Enrollment by domain without reading auth.users (issue 33): the hostname of every
-- confirmed address is kept beside it by the trigger that watches confirmations, and
-- switching a domain to automatic invitation finds the users already there through it.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(6);

insert into auth.users (id, email) values ('a1111111-1111-4111-8111-1111111111e1', 'ann@hosts-tap.example');
select is((select count(*)::int from private.confirmed_email_hostnames where user_id = 'a1111111-1111-4111-8111-1111111111e1'), 0,
  'an unconfirmed address is not kept');
update auth.users set email_confirmed_at = now() where id = 'a1111111-1111-4111-8111-1111111111e1';
select is((select hostname from private.confirmed_email_hostnames where user_id = 'a1111111-1111-4111-8111-1111111111e1'),
  'hosts-tap.example', 'confirmed: its hostname is kept');
update auth.users set email = 'ann@Elsewhere-TAP.example' where id = 'a1111111-1111-4111-8111-1111111111e1';
select is((select hostname from private.confirmed_email_hostnames where user_id = 'a1111111-1111-4111-8111-1111111111e1'),
  'elsewhere-tap.example', 'a changed address: the new hostname, lower case');
update auth.users set email_confirmed_at = null where id = 'a1111111-1111-4111-8111-1111111111e1';
select is((select count(*)::int from private.confirmed_email_hostnames where user_id = 'a1111111-1111-4111-8111-1111111111e1'), 0,
  'no longer confirmed: no longer kept');

-- An owner switches a verified domain to automatic invitation: the user already there is invited.
insert into auth.users (id, email, email_confirmed_at) values
  ('a2222222-2222-4222-8222-2222222222e2', 'owner@hosts-owner-tap.example', now()),
  ('a3333333-3333-4333-8333-3333333333e3', 'bo@hosts-tap.example', now());
select public.create_signup_org('a2222222-2222-4222-8222-2222222222e2', 'owner@hosts-owner-tap.example', 'Owner', 'Hosts', 'hosts-tap');
update organizations set plan_id = 'enterprise' where slug = 'hosts-tap';
insert into organization_domains (organization_id, hostname, txt_name, txt_value, verified_at)
select id, 'hosts-tap.example', '_onboarding-verification.hosts-tap.example', 'x', now() from organizations where slug = 'hosts-tap';
select tests.authenticate_as('a2222222-2222-4222-8222-2222222222e2');
select is((set_domain_enrollment((select id from organization_domains where hostname = 'hosts-tap.example'),
  'automatic_invitation', 'viewer') ->> 'invited')::int, 1, 'switched on: the confirmed user at the hostname is invited');
reset role;
select is((select email from onboarding_invites where domain_id = (select id from organization_domains where hostname = 'hosts-tap.example')),
  'bo@hosts-tap.example', 'the invitation is theirs');

select * from finish();
rollback;
