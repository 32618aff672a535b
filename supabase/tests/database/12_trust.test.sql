-- Trust (issue 31), in SQL: a platform admin acts on tenants only at aal2, on every path;
-- an organization scheduled for deletion takes no new member and comes back whole when
-- the deletion is cancelled; unknown ids get their 404; custom roles are changed and
-- deleted only within bounds.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(32);

insert into auth.users (id, email, email_confirmed_at) values
  ('a1111111-1111-4111-8111-1111111111c1', 'owner@trust.tap', now()),
  ('a2222222-2222-4222-8222-2222222222c2', 'manager@trust.tap', now()),
  ('a3333333-3333-4333-8333-3333333333c3', 'member@trust.tap', now()),
  ('a4444444-4444-4444-8444-4444444444c4', 'invitee@trust.tap', now()),
  ('a5555555-5555-4555-8555-5555555555c5', 'ops@trust.tap', now()),
  ('a6666666-6666-4666-8666-6666666666c6', 'asker@asker-trust.tap', now());
select public.create_signup_org('a1111111-1111-4111-8111-1111111111c1', 'owner@trust.tap', 'Owner', 'Trust', 'trust-tap');
create temp table org as select id from organizations where slug = 'trust-tap';

update organizations set plan_id = 'enterprise' where id = (select id from org);
-- A custom role that manages roles and reads members, and nothing else; and two roles to manage.
insert into organization_roles (organization_id, key, name, permissions) values
  ((select id from org), 'role-manager', 'Role manager', array['org:members:read', 'org:roles:manage']),
  ((select id from org), 'lead', 'Lead', array['org:members:invite', 'org:members:read']),
  ((select id from org), 'reader', 'Reader', array['org:members:read']);
insert into organization_members (organization_id, user_id, role) values
  ((select id from org), 'a2222222-2222-4222-8222-2222222222c2', 'role-manager'),
  ((select id from org), 'a3333333-3333-4333-8333-3333333333c3', 'viewer');
insert into onboarding_invites (organization_id, email, role, expires_at, token_hash)
values ((select id from org), 'invitee@trust.tap', 'viewer', now() + interval '1 day', repeat('c', 64));
insert into invite_links (organization_id, token_hash, role, expires_at)
values ((select id from org), repeat('d', 64), 'viewer', now() + interval '1 day');
insert into organization_domains (organization_id, hostname, txt_name, txt_value, verified_at, enrollment_mode)
values ((select id from org), 'asker-trust.tap', '_onboarding-verification.asker-trust.tap', 'x', now(), 'automatic_suggestion');
insert into organization_billing (organization_id, billing_email, legal_name) values ((select id from org), 'billing@trust.tap', 'Trust Ltd');
select private.set_platform_role('ops@trust.tap', 'platform_admin');
create temp table invite as select id from onboarding_invites where token_hash = repeat('c', 64);
grant select on org, invite to authenticated;

-- 1. A platform admin reads and acts on tenants at aal2 only: RLS and RPCs agree.
select tests.authenticate_as('a5555555-5555-4555-8555-5555555555c5', 'aal2');
select is((select count(*)::int from organizations where id = (select id from org)), 1, 'a platform admin at aal2 reads a tenant');
select is((select count(*)::int from organization_billing where organization_id = (select id from org)), 1,
  'a platform admin at aal2 reads its billing');
select tests.authenticate_as('a5555555-5555-4555-8555-5555555555c5', 'aal1');
select is_empty($$ select 1 from organizations where id = (select id from org)
                   union all select 1 from organization_billing where organization_id = (select id from org)
                   union all select 1 from onboarding_invites where organization_id = (select id from org)
                   union all select 1 from organization_members where organization_id = (select id from org)
                   union all select 1 from organization_audit_log where organization_id = (select id from org)
                   union all select 1 from organization_domains where organization_id = (select id from org) $$,
  'a platform admin at aal1 reads nothing of a tenant');
select is((select count(*)::int from platform_roles where user_id = auth.uid()), 1, 'at aal1 they still read their own role');
select throws_ok($$ select admin_create_organization('Acme', 'acme-trust-tap', 'boss@trust.tap') $$,
  '42501', 'mfa_required', 'creating an organization at aal1: mfa_required');
select throws_ok($$ select list_members((select id from org)) $$,
  '42501', 'mfa_required', 'a tenant RPC at aal1: mfa_required, not a stranger''s refusal');
select throws_ok($$ select revoke_invite((select id from invite)) $$,
  '42501', 'mfa_required', 'revoking at aal1: mfa_required');
reset role;

-- 3. perform … if not found: an unknown id is a 404, whoever asks.
set local role service_role;
select throws_ok($$ select revoke_invite(gen_random_uuid()) $$, 'PT404', 'invite_not_found',
  'revoke_invite: an unknown invite is invite_not_found, even for the service role');
reset role;
select tests.authenticate_as('a1111111-1111-4111-8111-1111111111c1', 'aal1');
select throws_ok($$ select force_complete_user_onboarding(gen_random_uuid(), 42, 'by hand') $$, 'PT404', 'tenant_user_not_found',
  'force_complete_user_onboarding: an unknown tenant user is tenant_user_not_found (was a not-null violation)');
select tests.authenticate_as('a5555555-5555-4555-8555-5555555555c5', 'aal2');
select throws_ok($$ select revoke_invite(gen_random_uuid()) $$, 'PT404', 'invite_not_found',
  'revoke_invite: an unknown invite is invite_not_found for a platform admin');
reset role;

-- 4. Custom roles: changed and deleted within bounds.
select tests.authenticate_as('a2222222-2222-4222-8222-2222222222c2', 'aal1');
select throws_ok($$ select update_role((select id from organization_roles where key = 'lead'), 'Lead', array['org:members:read']) $$,
  '42501', 'role_too_high', 'a role manager cannot strip a permission they do not hold from a role');
select throws_ok($$ select delete_role((select id from organization_roles where key = 'lead')) $$,
  '42501', 'role_too_high', 'nor delete a role holding one');
select throws_ok($$ select update_role((select id from organization_roles where key = 'reader'), 'Reader',
                                       array['org:members:read', 'org:roles:manage']) $$,
  '42501', 'role_too_high', 'nor raise a role to their own set');
select is(update_role((select id from organization_roles where key = 'reader'), 'Readers', array['org:members:read']) ->> 'name',
  'Readers', 'a role holding less than theirs they may change');
reset role;
update invite_links set role = 'lead' where token_hash = repeat('d', 64);
select tests.authenticate_as('a1111111-1111-4111-8111-1111111111c1', 'aal1');
select throws_ok($$ select delete_role((select id from organization_roles where key = 'lead')) $$,
  'PT409', 'role_in_use', 'a role an active invite link grants is not deleted');
select is(update_role((select id from organization_roles where key = 'lead'), 'Lead', array['org:members:read']) ->> 'key',
  'lead', 'an owner changes any custom role');
reset role;
update invite_links set role = 'viewer' where token_hash = repeat('d', 64);

-- 2. Deletion's grace period: no way in, validate-invite says so; leave and export allowed.
select tests.authenticate_as('a1111111-1111-4111-8111-1111111111c1', 'aal1');
select lives_ok($$ select request_organization_deletion((select id from org), 'trust-tap') $$, 'the owner schedules the deletion');
reset role;
select throws_ok($$ select validate_invite(repeat('c', 64)) $$, 'PT410', 'organization_deletion_scheduled',
  'validate-invite: an invite of a scheduled organization says so');
select throws_ok($$ select validate_invite(repeat('d', 64)) $$, 'PT410', 'organization_deletion_scheduled',
  'validate-invite: so does a link');
select tests.authenticate_as('a4444444-4444-4444-8444-4444444444c4', 'aal1');
select is(my_invites(), '[]'::jsonb, 'the invitee''s pending invite is not offered');
select throws_ok($$ select accept_invite(repeat('c', 64)) $$, 'PT410', 'organization_deletion_scheduled',
  'accepting the email invite is refused');
select throws_ok($$ select accept_invite(repeat('d', 64)) $$, 'PT410', 'organization_deletion_scheduled',
  'accepting the link is refused');
select tests.authenticate_as('a6666666-6666-4666-8666-6666666666c6', 'aal1');
select is(my_suggestions(), '[]'::jsonb, 'the organization suggests itself to nobody');
select throws_ok($$ select request_to_join((select id from org)) $$, 'PT410', 'organization_deletion_scheduled',
  'asking to join is refused');
reset role;
update organization_domains set enrollment_mode = 'automatic_invitation' where hostname = 'asker-trust.tap';
select is(private.invite_through_domain((select d from organization_domains d where hostname = 'asker-trust.tap'),
            'late@asker-trust.tap'), false, 'a verified domain invites nobody');
select tests.authenticate_as('a1111111-1111-4111-8111-1111111111c1', 'aal1');
select is(jsonb_array_length(export_organization_page((select id from org), 'members') -> 'rows'), 3,
  'the owner still exports');
select ok((export_organization_page((select id from org), 'organization') ->> 'at') is not null, 'a page carries its time');
select tests.authenticate_as('a3333333-3333-4333-8333-3333333333c3', 'aal1');
select is(leave_organization((select id from org)) ->> 'left', 'true', 'a member still leaves');
select tests.authenticate_as('a1111111-1111-4111-8111-1111111111c1', 'aal1');
select lives_ok($$ select cancel_organization_deletion((select id from org)) $$, 'the owner cancels the deletion');
reset role;
select is(validate_invite(repeat('c', 64)) ->> 'kind', 'invite', 'the invite works again');
select is(validate_invite(repeat('d', 64)) ->> 'kind', 'link', 'so does the link');
select tests.authenticate_as('a4444444-4444-4444-8444-4444444444c4', 'aal1');
select is(accept_invite(repeat('c', 64)) ->> 'role', 'viewer', 'and it is accepted');
reset role;

select * from finish();
rollback;
