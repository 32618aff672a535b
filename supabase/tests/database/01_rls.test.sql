-- Row-level security, per table and role, with two tenants: what each role can read
-- and write through PostgREST (the same roles and JWT claims PostgREST sets).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(16);

select is_empty(
  $$ select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity $$,
  'every table in public has row-level security');
select is_empty(
  $$ select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind = 'r'
       and (has_table_privilege('anon', c.oid, 'select') or has_table_privilege('anon', c.oid, 'insert')
            or has_table_privilege('anon', c.oid, 'update') or has_table_privilege('anon', c.oid, 'delete')) $$,
  'anon may not read or write any table');

-- Two tenants, each a signed-up owner with a workspace; an outsider; a platform admin.
insert into auth.users (id, email, email_confirmed_at) values
  ('a1111111-1111-4111-8111-111111111111', 'alice@tap.test', now()),
  ('b2222222-2222-4222-8222-222222222222', 'bob@tap.test', now()),
  ('c3333333-3333-4333-8333-333333333333', 'carol@tap.test', now());
select public.create_signup_org('a1111111-1111-4111-8111-111111111111', 'alice@tap.test', 'Alice', 'Alice''s Workspace', 'alice-tap');
select public.create_signup_org('b2222222-2222-4222-8222-222222222222', 'bob@tap.test', 'Bob', 'Bob''s Workspace', 'bob-tap');
insert into public.tenant_users (tenant_id, user_role, email)
  select id, 'executor', 'exec@tap.test' from public.organizations where slug = 'alice-tap';
insert into public.onboarding_invites (organization_id, email, role, expires_at)
  select id, 'new-admin@tap.test', 'admin', now() + interval '1 day' from public.organizations where slug = 'alice-tap';

-- Alice: her organization, her membership, her profile, her tenant's users and invites.
select tests.authenticate_as('a1111111-1111-4111-8111-111111111111');
select results_eq($$ select slug from organizations where slug like '%-tap' $$, $$ values ('alice-tap') $$,
  'an owner reads her own organization only');
select results_eq($$ select count(*)::int from organization_members $$, $$ values (1) $$,
  'an owner reads the memberships of her organization only');
select results_eq($$ select email from profiles $$, $$ values ('alice@tap.test') $$,
  'a user reads her own profile only');
select results_eq($$ select email from tenant_users $$, $$ values ('exec@tap.test') $$,
  'a tenant admin reads her tenant''s users');
select results_eq($$ select email from onboarding_invites $$, $$ values ('new-admin@tap.test') $$,
  'an owner reads her organization''s invites');
select throws_ok($$ select token_hash from onboarding_invites $$, '42501', null,
  'nobody reads invite token hashes');
select throws_ok($$ insert into organizations (name, slug) values ('Mine', 'mine-tap') $$, '42501', null,
  'members cannot create organizations directly');
select throws_ok($$ insert into organization_members (organization_id, user_id, role)
                    select id, 'a1111111-1111-4111-8111-111111111111', 'owner' from organizations limit 1 $$,
  '42501', null, 'members cannot add memberships directly');
select lives_ok($$ update profiles set full_name = 'Alice L.' $$, 'a user may rename herself');
reset role;

-- Bob sees none of Alice's tenant.
select tests.authenticate_as('b2222222-2222-4222-8222-222222222222');
select results_eq($$ select slug from organizations where slug like '%-tap' $$, $$ values ('bob-tap') $$,
  'another owner reads only his own organization');
select is_empty($$ select 1 from tenant_users where email = 'exec@tap.test' $$,
  'another tenant''s users are invisible');
select is_empty($$ select 1 from onboarding_invites where email = 'new-admin@tap.test' $$,
  'another organization''s invites are invisible');
select results_eq($$ with changed as (update profiles set full_name = 'X' where email = 'alice@tap.test' returning 1)
                     select count(*)::int from changed $$, $$ values (0) $$,
  'nobody renames someone else');
reset role;

-- Carol, a member of nothing: sees no organization, no membership.
select tests.authenticate_as('c3333333-3333-4333-8333-333333333333');
select is_empty($$ select 1 from organizations where slug like '%-tap' $$,
  'a user of no organization reads none');
reset role;

select * from finish();
rollback;
