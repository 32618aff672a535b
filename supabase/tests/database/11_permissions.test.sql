-- Permissions (issue 21): every permission × system role, as public.authorize answers it
-- for a member with that role, against the matrix written out here (today's behaviour:
-- viewers and recruiters read the members; admins do everything but activate, transfer
-- ownership and delete, which stay with owners). A platform admin holds all of them.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(54);

insert into auth.users (id, email, email_confirmed_at) values
  ('a1111111-1111-4111-8111-1111111111a1', 'owner@perm.tap', now()),
  ('a2222222-2222-4222-8222-2222222222a2', 'admin@perm.tap', now()),
  ('a3333333-3333-4333-8333-3333333333a3', 'recruiter@perm.tap', now()),
  ('a4444444-4444-4444-8444-4444444444a4', 'viewer@perm.tap', now()),
  ('a5555555-5555-4555-8555-5555555555a5', 'outsider@perm.tap', now());
select public.create_signup_org('a1111111-1111-4111-8111-1111111111a1', 'owner@perm.tap', 'Owner', 'Perm', 'perm-tap');
insert into organization_members (organization_id, user_id, role)
select o.id, u.id, u.role from organizations o,
  (values ('a2222222-2222-4222-8222-2222222222a2'::uuid, 'admin'),
          ('a3333333-3333-4333-8333-3333333333a3'::uuid, 'recruiter'),
          ('a4444444-4444-4444-8444-4444444444a4'::uuid, 'viewer')) u(id, role)
where o.slug = 'perm-tap';
create temp table org as select id from organizations where slug = 'perm-tap';
create temp table matrix (role text, user_id uuid, permission text, allowed boolean);
insert into matrix
select r.role, r.user_id, p.key, p.key = any (r.allowed)
from (values
  ('owner', 'a1111111-1111-4111-8111-1111111111a1'::uuid, array['org:members:read', 'org:members:invite', 'org:members:manage',
    'org:roles:manage', 'org:settings:manage', 'org:billing:manage', 'org:domains:manage', 'org:webhooks:manage',
    'org:audit:read', 'tenant_users:manage', 'org:directory:manage', 'org:activate', 'org:ownership:transfer', 'org:delete']),
  ('admin', 'a2222222-2222-4222-8222-2222222222a2'::uuid, array['org:members:read', 'org:members:invite', 'org:members:manage',
    'org:roles:manage', 'org:settings:manage', 'org:billing:manage', 'org:domains:manage', 'org:webhooks:manage',
    'org:audit:read', 'tenant_users:manage', 'org:directory:manage']),
  ('recruiter', 'a3333333-3333-4333-8333-3333333333a3'::uuid, array['org:members:read']),
  ('viewer', 'a4444444-4444-4444-8444-4444444444a4'::uuid, array['org:members:read']),
  ('outsider', 'a5555555-5555-4555-8555-5555555555a5'::uuid, array[]::text[])) r(role, user_id, allowed)
cross join public.permissions p;
grant select on org, matrix to authenticated;

select is((select count(*)::int from public.permissions), 14, 'the catalogue has 14 permissions');

-- Each role × permission, as that member.
select tests.authenticate_as('a1111111-1111-4111-8111-1111111111a1');
select is(array(select permission from matrix m where role = 'owner' and public.authorize((select id from org), permission) <> allowed),
  '{}'::text[], 'owner: exactly its permissions');
select tests.authenticate_as('a2222222-2222-4222-8222-2222222222a2');
select is(array(select permission from matrix m where role = 'admin' and public.authorize((select id from org), permission) <> allowed),
  '{}'::text[], 'admin: exactly its permissions');
select tests.authenticate_as('a3333333-3333-4333-8333-3333333333a3');
select is(array(select permission from matrix m where role = 'recruiter' and public.authorize((select id from org), permission) <> allowed),
  '{}'::text[], 'recruiter: exactly its permissions');
select tests.authenticate_as('a4444444-4444-4444-8444-4444444444a4');
select is(array(select permission from matrix m where role = 'viewer' and public.authorize((select id from org), permission) <> allowed),
  '{}'::text[], 'viewer: exactly its permissions');
select tests.authenticate_as('a5555555-5555-4555-8555-5555555555a5');
select is(array(select permission from matrix m where role = 'outsider' and public.authorize((select id from org), permission) <> allowed),
  '{}'::text[], 'an outsider: none');
reset role;

-- And one assertion per cell, so a failure names it.
select tests.authenticate_as('a2222222-2222-4222-8222-2222222222a2');
select is(public.authorize((select id from org), permission), allowed, 'admin ' || permission) from matrix where role = 'admin';
select tests.authenticate_as('a4444444-4444-4444-8444-4444444444a4');
select is(public.authorize((select id from org), permission), allowed, 'viewer ' || permission) from matrix where role = 'viewer';
select tests.authenticate_as('a1111111-1111-4111-8111-1111111111a1');
select is(public.authorize((select id from org), permission), allowed, 'owner ' || permission) from matrix where role = 'owner';
reset role;

-- A platform admin, a member of nothing, holds every permission, with a second factor
-- only: after a password alone they are an ordinary user.
select private.set_platform_role('outsider@perm.tap', 'platform_admin');
select tests.authenticate_as('a5555555-5555-4555-8555-5555555555a5', 'aal2');
select is((select count(*)::int from public.permissions where public.authorize((select id from org), key)), 14,
  'a platform admin at aal2 holds all 14');
select tests.authenticate_as('a5555555-5555-4555-8555-5555555555a5', 'aal1');
select is((select count(*)::int from public.permissions where public.authorize((select id from org), key)), 0,
  'a platform admin at aal1 holds none');
reset role;

-- The MFA policy: an aal1 session holds nothing there, an aal2 session what its role holds.
update organizations set mfa_required = true where id = (select id from org);
select tests.authenticate_as('a2222222-2222-4222-8222-2222222222a2', 'aal1');
select is(public.authorize((select id from org), 'org:members:read'), false, 'MFA required: an aal1 session holds nothing');
select is((select count(*)::int from organizations where id = (select id from org)), 0, 'MFA required: an aal1 session reads no row of it');
select tests.authenticate_as('a2222222-2222-4222-8222-2222222222a2', 'aal2');
select is(public.authorize((select id from org), 'org:members:read'), true, 'MFA required: an aal2 session holds its role''s permissions');
select is((select count(*)::int from organizations where id = (select id from org)), 1, 'MFA required: an aal2 session reads it');
reset role;

select * from finish();
rollback;
