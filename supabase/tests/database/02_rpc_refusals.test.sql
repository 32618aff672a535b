-- Each RPC's refusals, by the one error convention: the stable code is the message, the
-- SQLSTATE sets the status PostgREST answers with.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(8);

insert into auth.users (id, email, email_confirmed_at) values
  ('a1111111-1111-4111-8111-111111111111', 'alice@tap.test', now()),
  ('b2222222-2222-4222-8222-222222222222', 'bob@tap.test', now());
select public.create_signup_org('a1111111-1111-4111-8111-111111111111', 'alice@tap.test', 'Alice', 'Alice''s Workspace', 'alice-tap');

select tests.authenticate_as('b2222222-2222-4222-8222-222222222222');
select throws_ok($$ select admin_create_organization('Acme', 'acme-tap', 'owner@tap.test') $$,
  '42501', 'not_platform_admin', 'only platform admins create organizations');
select throws_ok($$ select accept_invite(repeat('0', 64)) $$,
  'P0001', 'invite_not_found', 'an unknown invite cannot be accepted');
select throws_ok(format($$ select request_user_onboarding(%L::jsonb, 'start-token-that-is-long-enough-0123456789', false) $$,
    jsonb_build_object('tenant_id', (select id from organizations where slug = 'alice-tap'))),
  '42501', 'not_tenant_admin', 'only the tenant''s owners and admins onboard its users');
select throws_ok(format($$ select revoke_invite(%L) $$, gen_random_uuid()),
  'PT404', 'invite_not_found', 'an unknown invite cannot be revoked');
reset role;

select tests.authenticate_as_anon();
select throws_ok($$ select accept_invite(repeat('0', 64)) $$, '42501', null, 'anon cannot accept invites');
reset role;

-- As the webhook's service role: the convention's codes for a missing user and bad input.
select throws_ok($$ select create_signup_org(gen_random_uuid(), 'x@tap.test', 'X', 'X''s Workspace', 'x-tap') $$,
  'P0002', 'user_not_found', 'no organization for a user that does not exist');
select throws_ok($$ select create_signup_org('a1111111-1111-4111-8111-111111111111', 'alice@tap.test', 'A', 'A', 'Not A Slug') $$,
  '22023', 'invalid_slug_base', 'slug bases are checked');
select throws_ok($$ select private.install_signup_webhook('ftp://nope', '') $$,
  '22023', 'invalid_arguments', 'installers refuse bad arguments');

select * from finish();
rollback;
