-- Directory sync (issue 32): what the scim_* RPCs do to memberships, and who reaches what.
-- Tokens are made by a manager as the Team page makes them; the scim_* calls are made
-- as the service role with the token's hash, as the function makes them.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(38);

insert into auth.users (id, email, email_confirmed_at) values
  ('d1111111-1111-4111-8111-1111111111d1', 'owner@dir.tap', now()),
  ('d2222222-2222-4222-8222-2222222222d2', 'bob@dir.tap', now()),
  ('d3333333-3333-4333-8333-3333333333d3', 'owner@other.tap', now()),
  ('d4444444-4444-4444-8444-4444444444d4', 'hand@dir.tap', now()),
  ('d5555555-5555-4555-8555-5555555555d5', 'viewer@dir.tap', now());
select public.create_signup_org('d1111111-1111-4111-8111-1111111111d1', 'owner@dir.tap', 'Owner', 'Dir', 'dir-tap');
select public.create_signup_org('d3333333-3333-4333-8333-3333333333d3', 'owner@other.tap', 'Other', 'Other', 'other-tap');
update organizations set plan_id = 'enterprise' where slug in ('dir-tap', 'other-tap');
create temp table org as select (select id from organizations where slug = 'dir-tap') as id,
                                (select id from organizations where slug = 'other-tap') as other;
insert into organization_members (organization_id, user_id, role)
select id, 'd4444444-4444-4444-8444-4444444444d4'::uuid, 'admin' from org
union all select id, 'd5555555-5555-4555-8555-5555555555d5'::uuid, 'viewer' from org;
create temp table tokens (name text, token text, id uuid);
grant select, insert on org, tokens to authenticated;

-- Managers: a viewer may not make a token; the owner may, shown once, kept hashed.
select tests.authenticate_as('d5555555-5555-4555-8555-5555555555d5');
select throws_ok($$ select public.create_directory_token((select id from org)) $$, '42501', 'not_org_admin',
  'a viewer makes no directory token');
select tests.authenticate_as('d1111111-1111-4111-8111-1111111111d1');
insert into tokens select 'a', t ->> 'token', (t ->> 'id')::uuid from (select public.create_directory_token((select id from org)) t) x;
insert into tokens select 'a2', t ->> 'token', (t ->> 'id')::uuid from (select public.create_directory_token((select id from org)) t) x;
select public.set_directory_group_role((select id from org), 'Engineering Leads', 'admin');
select public.set_directory_group_role((select id from org), 'Readers', 'viewer');
select throws_ok($$ select public.set_directory_group_role((select id from org), 'Owners', 'owner') $$, '22023', 'invalid_role',
  'a directory never grants owner');
select tests.authenticate_as('d3333333-3333-4333-8333-3333333333d3');
insert into tokens select 'b', t ->> 'token', (t ->> 'id')::uuid from (select public.create_directory_token((select other from org)) t) x;
select is((select count(*)::int from directory_tokens), 1, 'a manager reads their own directory''s tokens only');
reset role;
select ok(not exists (select 1 from directory_tokens t join tokens k on t.token_hash = k.token or t.hint = k.token),
  'no token is stored, only its hash');
create temp table hashes as select name, encode(extensions.digest(token, 'sha256'), 'hex') as h from tokens;
grant select on hashes to service_role;

-- The function's calls: the service role with a token's hash.
set local role service_role;
select throws_ok($$ select public.scim_list_users(repeat('0', 64), null, 1, 10) $$, '28000', 'invalid_directory_token',
  'an unknown token reaches nothing');
create temp table bob as select (public.scim_save_user((select h from hashes where name = 'a'), null,
  '{"userName": "Bob@Dir.tap", "emails": [{"type": "work", "value": "bob@dir.tap"}], "active": true}', 'bob@dir.tap') ->> 'id')::uuid as id;
create temp table carol as select (public.scim_save_user((select h from hashes where name = 'a'), null,
  '{"userName": "carol@dir.tap", "active": true}', 'carol@dir.tap') ->> 'id')::uuid as id;
reset role;
select is((select role from organization_members where user_id = 'd2222222-2222-4222-8222-2222222222d2' and organization_id = (select id from org)),
  'viewer', 'a directory user with an account is a member at once, with the default role');
select is((select after from organization_audit_log where organization_id = (select id from org) and action = 'member.provisioned'
           and target_user_id = 'd2222222-2222-4222-8222-2222222222d2'),
  '{"via": "scim", "role": "viewer"}'::jsonb, 'member.provisioned, via scim, in the audit log');
select ok(array['member.provisioned', 'member.suspended', 'member.deprovisioned'] <@ private.webhook_event_types(),
  'endpoints may subscribe to the directory''s three events');
select ok((select user_id is null and role = 'viewer' from directory_users where id = (select id from carol)),
  'without an account the directory user waits, with the role it will get');

set local role service_role;
select throws_ok($$ select public.scim_get_user((select h from hashes where name = 'b'), (select id from bob)) $$,
  'PT404', 'directory_user_not_found', 'another organization''s token does not reach this directory');
select throws_ok($$ select public.scim_save_user((select h from hashes where name = 'a'), null,
  '{"userName": "BOB@dir.tap"}', 'bob@dir.tap') $$, '23505', null, 'a userName is unique in a directory, whatever its case');
select is((public.scim_list_users((select h from hashes where name = 'b'), null, 1, 10) ->> 'total')::int, 0,
  'another organization''s list is its own');

-- Groups give roles: the highest of the mapped ones.
create temp table leads as select (public.scim_save_group((select h from hashes where name = 'a2'), null, 'engineering leads', null,
  array[(select id from bob)]) ->> 'id')::uuid as id;
select public.scim_save_group((select h from hashes where name = 'a'), null, 'Readers', null, array[(select id from bob)]);
reset role;
select is((select role from organization_members where user_id = 'd2222222-2222-4222-8222-2222222222d2' and organization_id = (select id from org)),
  'admin', 'a member of several mapped groups gets the highest role (names matched without case)');
set local role service_role;
select public.scim_patch_group((select h from hashes where name = 'a'), (select id from leads),
  jsonb_build_array(jsonb_build_object('op', 'remove', 'members', jsonb_build_array((select id from bob)))));
reset role;
select is((select role from organization_members where user_id = 'd2222222-2222-4222-8222-2222222222d2' and organization_id = (select id from org)),
  'viewer', 'leaving the group takes its role away');

-- Suspension: no membership while inactive, back when active again.
set local role service_role;
select public.scim_save_user((select h from hashes where name = 'a'), (select id from bob),
  '{"userName": "Bob@Dir.tap", "active": false}', 'bob@dir.tap');
reset role;
select ok(not exists (select 1 from organization_members where user_id = 'd2222222-2222-4222-8222-2222222222d2' and organization_id = (select id from org)),
  'active false: no membership');
select tests.authenticate_as('d2222222-2222-4222-8222-2222222222d2');
select is((select count(*)::int from organizations where id = (select id from org)), 0, 'a suspended person reads nothing of the organization');
select ok(not public.authorize((select id from org), 'org:members:read'), 'nor may they do anything there');
reset role;
select is((select before from organization_audit_log where organization_id = (select id from org) and action = 'member.suspended'),
  '{"role": "viewer"}'::jsonb, 'member.suspended in the audit log');
set local role service_role;
select public.scim_save_user((select h from hashes where name = 'a'), (select id from bob),
  '{"userName": "Bob@Dir.tap", "active": true}', 'bob@dir.tap');
reset role;
select is((select role from organization_members where user_id = 'd2222222-2222-4222-8222-2222222222d2' and organization_id = (select id from org)),
  'viewer', 'active true: the membership is back, with the role its groups give');

-- A member added by hand is linked, not duplicated; an owner stays owner; the last owner stays.
set local role service_role;
create temp table owner_entry as select (public.scim_save_user((select h from hashes where name = 'a'), null,
  '{"userName": "owner@dir.tap"}', 'owner@dir.tap') ->> 'id')::uuid as id;
select public.scim_save_user((select h from hashes where name = 'a'), null, '{"userName": "hand@dir.tap"}', 'hand@dir.tap');
reset role;
select is((select count(*)::int from organization_members where user_id = 'd4444444-4444-4444-8444-4444444444d4' and organization_id = (select id from org)),
  1, 'a member added by hand is linked, not duplicated');
select is((select role from organization_members where user_id = 'd1111111-1111-4111-8111-1111111111d1' and organization_id = (select id from org)),
  'owner', 'the owner stays owner when the directory sends them');
set local role service_role;
select throws_ok($$ select public.scim_save_user((select h from hashes where name = 'a'), (select id from owner_entry),
  '{"userName": "owner@dir.tap", "active": false}', 'owner@dir.tap') $$, 'PT409', 'last_owner', 'the last owner is never suspended');
select throws_ok($$ select public.scim_delete_user((select h from hashes where name = 'a'), (select id from owner_entry)) $$,
  'PT409', 'last_owner', 'nor removed');
select ok((select active from directory_users where id = (select id from owner_entry)), 'and the refused change is not kept');

-- Delete: the membership goes, the account stays.
select public.scim_delete_user((select h from hashes where name = 'a'), (select id from bob));
reset role;
select ok(not exists (select 1 from organization_members where user_id = 'd2222222-2222-4222-8222-2222222222d2' and organization_id = (select id from org))
          and exists (select 1 from auth.users where id = 'd2222222-2222-4222-8222-2222222222d2'),
  'delete removes the membership, never the auth user');
select ok(exists (select 1 from organization_audit_log where organization_id = (select id from org) and action = 'member.deprovisioned'),
  'member.deprovisioned in the audit log');

-- A pending user completes at confirmation and gets no personal workspace.
insert into auth.users (id, email) values ('d6666666-6666-4666-8666-6666666666d6', 'carol@dir.tap');
select is(public.create_signup_workspace('d6666666-6666-4666-8666-6666666666d6', 'carol@dir.tap', '{}') ->> 'workspace', 'skipped',
  'the directory''s person gets no personal workspace');
select ok(not exists (select 1 from organization_members where user_id = 'd6666666-6666-4666-8666-6666666666d6'),
  'nor a membership before the address is confirmed');
update auth.users set email_confirmed_at = now() where id = 'd6666666-6666-4666-8666-6666666666d6';
select is((select role from organization_members where user_id = 'd6666666-6666-4666-8666-6666666666d6' and organization_id = (select id from org)),
  'viewer', 'at confirmation the pending membership completes');

-- Filters: values are literals, whatever they hold.
set local role service_role;
select is((public.scim_list_users((select h from hashes where name = 'a'),
  '{"op": "eq", "path": ["userName"], "value": "x'') or true or (''"}', 1, 10) ->> 'total')::int, 0,
  'a quote in a filter value is a character, not SQL');
select is((public.scim_list_users((select h from hashes where name = 'a'),
  '{"op": "sw", "path": ["userName"], "value": "CAROL"}', 1, 10) ->> 'total')::int, 1,
  'userName compares without case');
select throws_ok($$ select public.scim_list_users((select h from hashes where name = 'a'),
  '{"op": "gt", "path": ["active"], "value": true}', 1, 10) $$, '22023', 'invalid_filter', 'active is compared with eq or ne');

-- A new default role reaches whoever is in no mapped group, at once.
reset role;
select tests.authenticate_as('d1111111-1111-4111-8111-1111111111d1');
select public.set_directory_settings((select id from org), 'recruiter', null);
reset role;
select is((select role from organization_members where user_id = 'd4444444-4444-4444-8444-4444444444d4' and organization_id = (select id from org)),
  'recruiter', 'the default role, changed, reaches a member in no mapped group');

-- The export holds the directory: every user once, a page at a time.
reset role;
create temp table expected_users as select id::text from directory_users where organization_id = (select id from org);
grant select on expected_users to authenticated;
select tests.authenticate_as('d1111111-1111-4111-8111-1111111111d1');
select results_eq(
  $$ with recursive pages(rows, next) as (
       select p -> 'rows', p ->> 'next' from (select public.export_organization_page((select id from org), 'directory_users', null, 2) p) x
       union all
       select p -> 'rows', p ->> 'next' from pages, lateral (select public.export_organization_page((select id from org), 'directory_users', pages.next, 2) p) x
       where pages.next is not null)
     select r ->> 'id' from pages, jsonb_array_elements(rows) r order by 1 $$,
  $$ select id from expected_users order by 1 $$,
  'the export holds every directory user once, page by page');
select ok((public.export_organization_page((select id from org), 'directory_group_roles', null, 10) -> 'rows') @>
  '[{"group": "Engineering Leads", "role": "admin"}]', 'and the group mappings');

-- Revoked tokens stop at once; the other keeps working (a rotation).
reset role;
select tests.authenticate_as('d1111111-1111-4111-8111-1111111111d1');
select public.revoke_directory_token((select id from tokens where name = 'a'));
reset role;
set local role service_role;
select throws_ok($$ select public.scim_list_users((select h from hashes where name = 'a'), null, 1, 1) $$, '28000', 'invalid_directory_token',
  'a revoked token is refused');
select lives_ok($$ select public.scim_list_users((select h from hashes where name = 'a2'), null, 1, 1) $$,
  'the second token still works');
reset role;
update organizations set plan_id = 'free' where id = (select id from org);
set local role service_role;
select throws_ok($$ select public.scim_list_users((select h from hashes where name = 'a2'), null, 1, 1) $$, '42501', 'feature_not_enabled',
  'without the feature, no token works');
reset role;

select * from finish();
rollback;
