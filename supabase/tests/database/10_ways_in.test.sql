-- Ways in (issue 20), in the database: which hostnames nobody may claim, one verified
-- owner per hostname, and who reads links and join requests (row-level security with the
-- JWTs of different organizations and roles).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(14);

select is(private.domain_refusal('gmail.com') is not null, true, 'gmail.com is webmail');
select is(private.domain_refusal('co.uk') is not null, true, 'co.uk is a public suffix');
select is(private.domain_refusal('anything.ck') is not null, true, 'a name under a *. rule is a public suffix');
select is(private.domain_refusal('www.ck'), null, 'an exception rule (!www.ck) is not');
select is(private.domain_refusal('acme-ways.tap'), null, 'a company''s own domain may be claimed');

insert into auth.users (id, email, email_confirmed_at) values
  ('a1111111-1111-4111-8111-11111111111a', 'owner@acme-ways.tap', now()),
  ('b2222222-2222-4222-8222-22222222222b', 'viewer@acme-ways.tap', now()),
  ('c3333333-3333-4333-8333-33333333333c', 'rival@rival-ways.tap', now()),
  ('d4444444-4444-4444-8444-44444444444d', 'asker@acme-ways.tap', now());
select public.create_signup_org('a1111111-1111-4111-8111-11111111111a', 'owner@acme-ways.tap', 'Owner', 'Acme', 'acme-ways');
select public.create_signup_org('c3333333-3333-4333-8333-33333333333c', 'rival@rival-ways.tap', 'Rival', 'Rival', 'rival-ways');
insert into organization_members (organization_id, user_id, role)
select id, 'b2222222-2222-4222-8222-22222222222b', 'viewer' from organizations where slug = 'acme-ways';
insert into organization_domains (organization_id, hostname, txt_name, txt_value, verified_at, enrollment_mode)
select id, 'acme-ways.tap', '_v.acme-ways.tap', 'v', now(), 'automatic_suggestion' from organizations where slug = 'acme-ways';
select throws_ok($$ insert into organization_domains (organization_id, hostname, txt_name, txt_value, verified_at)
                    select id, 'acme-ways.tap', '_v.acme-ways.tap', 'w', now() from organizations where slug = 'rival-ways' $$,
  '23505', null, 'a hostname is verified for one organization only');

create temp table acme as select id from organizations where slug = 'acme-ways';
grant select on acme to authenticated;

-- The owner creates a link and the asker a request.
select tests.authenticate_as('a1111111-1111-4111-8111-11111111111a');
select lives_ok($$ select public.create_invite_link((select id from acme)) $$,
  'the owner creates a link');
select is((select count(*)::int from invite_links), 1, 'the owner reads the organization''s links');
select throws_ok($$ select token_hash from invite_links $$, '42501', null, 'nobody reads a link''s token hash');
select tests.authenticate_as('d4444444-4444-4444-8444-44444444444d');
select lives_ok($$ select public.request_to_join((select id from acme)) $$,
  'a confirmed user at the verified domain asks to join');

select tests.authenticate_as('b2222222-2222-4222-8222-22222222222b');
select is((select count(*)::int from invite_links), 0, 'a viewer reads no links');
select is((select count(*)::int from organization_join_requests), 0, 'a viewer reads no join requests');
select tests.authenticate_as('c3333333-3333-4333-8333-33333333333c');
select is((select count(*)::int from invite_links) + (select count(*)::int from organization_join_requests), 0,
  'another organization''s owner reads neither');
select tests.authenticate_as('a1111111-1111-4111-8111-11111111111a');
select is((select count(*)::int from organization_join_requests), 1, 'the owner reads the request');
reset role;

select * from finish();
rollback;
