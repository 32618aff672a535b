-- Organizations after day one, in SQL: never zero owners (also for the service role's
-- direct writes), the audit log written by the changes themselves and readable only by
-- owners and admins, the token hook's claims.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(13);

insert into auth.users (id, email, email_confirmed_at) values
  ('a1111111-1111-4111-8111-111111111111', 'alice@tap.test', now()),
  ('b2222222-2222-4222-8222-222222222222', 'bob@tap.test', now()),
  ('c3333333-3333-4333-8333-333333333333', 'carol@tap.test', now());
select public.create_signup_org('a1111111-1111-4111-8111-111111111111', 'alice@tap.test', 'Alice', 'Alice''s Workspace', 'alice-tap');
insert into organization_members (organization_id, user_id, role)
  select id, 'b2222222-2222-4222-8222-222222222222', 'viewer' from organizations where slug = 'alice-tap';

-- Never zero owners, whoever writes.
select throws_ok($$ delete from organization_members where user_id = 'a1111111-1111-4111-8111-111111111111'
                    and organization_id = (select id from organizations where slug = 'alice-tap') $$,
  'PT409', 'last_owner', 'the last owner cannot be deleted, even by the service role');
select throws_ok($$ update organization_members set role = 'admin' where user_id = 'a1111111-1111-4111-8111-111111111111'
                    and organization_id = (select id from organizations where slug = 'alice-tap') $$,
  'PT409', 'last_owner', 'the last owner cannot be demoted directly');
select lives_ok($$ update organization_members set role = 'owner' where user_id = 'b2222222-2222-4222-8222-222222222222' $$,
  'a second owner may be made');
select lives_ok($$ update organization_members set role = 'admin' where user_id = 'a1111111-1111-4111-8111-111111111111' $$,
  'then the first may step down');
select lives_ok($$ delete from organizations where slug = 'alice-tap' $$,
  'deleting the organization itself takes its members with it');

-- The audit log: written by the changes above, in order.
select public.create_signup_org('c3333333-3333-4333-8333-333333333333', 'carol@tap.test', 'Carol', 'Carol''s Workspace', 'carol-tap');
insert into organization_members (organization_id, user_id, role)
  select id, 'b2222222-2222-4222-8222-222222222222', 'recruiter' from organizations where slug = 'carol-tap';
update organization_members set role = 'viewer' where user_id = 'b2222222-2222-4222-8222-222222222222'
  and organization_id = (select id from organizations where slug = 'carol-tap');
select results_eq(
  $$ select action from organization_audit_log
     where organization_id = (select id from organizations where slug = 'carol-tap') order by id $$,
  $$ values ('organization.created'), ('member.added'), ('member.added'), ('member.role_changed') $$,
  'every change is logged, in order');
select results_eq(
  $$ select before ->> 'role', after ->> 'role' from organization_audit_log
     where action = 'member.role_changed' and target_user_id = 'b2222222-2222-4222-8222-222222222222' $$,
  $$ values ('recruiter', 'viewer') $$,
  'a role change keeps before and after');

select tests.authenticate_as('c3333333-3333-4333-8333-333333333333');
select ok((select count(*) from organization_audit_log) = 4, 'the owner reads her organization''s log');
select throws_ok($$ insert into organization_audit_log (organization_id, action) select id, 'forged' from organizations $$,
  '42501', null, 'nobody writes the log directly');
select throws_ok($$ delete from organization_audit_log $$, '42501', null, 'nobody erases the log');
reset role;
select tests.authenticate_as('b2222222-2222-4222-8222-222222222222');
select is_empty($$ select 1 from organization_audit_log where organization_id = (select id from organizations where slug = 'carol-tap') $$,
  'a viewer does not read the log');
reset role;

-- The custom access token hook. Supabase Auth calls it as supabase_auth_admin, which
-- `postgres` may no longer become on a hosted project (since April 2025), so here it is
-- called by its owner; that Auth may execute it, and only Auth, is checked in
-- 00_exposed_functions, and the end-to-end tests get their claims through the Auth
-- stand-in, which logs in as supabase_auth_admin.
select set_config('tap.owner', public.custom_access_token_hook(
  '{"user_id": "c3333333-3333-4333-8333-333333333333", "claims": {"role": "authenticated"}, "authentication_method": "password"}')::text, true);
select set_config('tap.nobody', public.custom_access_token_hook(
  '{"user_id": "a1111111-1111-4111-8111-111111111111", "claims": {"role": "authenticated"}}')::text, true);
select is(current_setting('tap.owner')::jsonb -> 'claims' ->> 'org_role', 'owner',
  'the hook adds the active organization''s role');
select is(current_setting('tap.nobody')::jsonb,
  '{"user_id": "a1111111-1111-4111-8111-111111111111", "claims": {"role": "authenticated"}}'::jsonb,
  'a user with no active membership gets no claims');

select * from finish();
rollback;
