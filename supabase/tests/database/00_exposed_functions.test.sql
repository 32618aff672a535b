-- What PostgREST exposes as RPCs to the public roles: every function in `public` that
-- `anon` or `authenticated` may execute, compared with this allow-list. A new function
-- is executable by them by default (Supabase's default privileges), so one added
-- without deciding who may call it fails here. Extensions live in `extensions`, which
-- PostgREST does not serve.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(6);

select results_eq(
  $$ select (p.proname::text || '(' || pg_get_function_identity_arguments(p.oid) || ')') collate "default"
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' and has_function_privilege('anon', p.oid, 'execute')
     order by 1 $$,
  $$ select x from (values (null::text)) v(x) where false $$,
  'anon may execute no function in public'
);

select results_eq(
  $$ select (p.proname::text || '(' || pg_get_function_identity_arguments(p.oid) || ')') collate "default"
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' and has_function_privilege('authenticated', p.oid, 'execute')
     order by 1 $$,
  $$ values
     ('accept_invite(p_token_hash text)'),
     ('accept_invite_by_id(p_invite_id uuid)'),
     ('add_organization_domain(p_organization_id uuid, p_hostname text)'),
     ('admin_create_organization(p_name text, p_slug text, p_owner_email text, p_plan text, p_feature_overrides jsonb, p_billing_email text, p_invite_ttl_hours integer)'),
     ('approve_join_request(p_request_id uuid, p_role text)'),
     ('authorize(p_organization_id uuid, p_permission text)'),
     ('cancel_organization_deletion(p_organization_id uuid)'),
     ('change_member_role(p_organization_id uuid, p_user_id uuid, p_role text)'),
     ('complete_onboarding(p_organization_id uuid)'),
     ('create_directory_token(p_organization_id uuid)'),
     ('create_invite_link(p_organization_id uuid, p_role text, p_max_uses integer, p_expires_in_hours integer, p_allowed_domain text)'),
     ('create_organization(p_name text, p_slug text)'),
     ('create_role(p_organization_id uuid, p_key text, p_name text, p_permissions text[])'),
     ('create_webhook_endpoint(p_organization_id uuid, p_url text, p_events text[], p_description text)'),
     ('decline_invite(p_invite_id uuid)'),
     ('delete_role(p_role_id uuid)'),
     ('delete_webhook_endpoint(p_endpoint_id uuid)'),
     ('deny_join_request(p_request_id uuid)'),
     ('directory_status(p_organization_id uuid)'),
     ('disable_webhook_endpoint(p_endpoint_id uuid)'),
     ('enable_webhook_endpoint(p_endpoint_id uuid)'),
     ('export_my_data()'),
     ('export_organization_page(p_organization_id uuid, p_section text, p_after text, p_limit integer)'),
     ('force_complete_user_onboarding(p_user_id uuid, p_chat_id bigint, p_reason text)'),
     ('invite_member(p_organization_id uuid, p_email text, p_role text)'),
     ('issue_invite_token(p_invite_id uuid, p_token_hash text, p_ttl_hours integer)'),
     ('leave_organization(p_organization_id uuid)'),
     ('list_invite_links(p_organization_id uuid)'),
     ('list_join_requests(p_organization_id uuid)'),
     ('list_members(p_organization_id uuid, p_after text, p_limit integer, p_user_ids uuid[])'),
     ('my_invites()'),
     ('my_join_requests()'),
     ('my_organizations()'),
     ('my_suggestions()'),
     ('organization_onboarding(p_organization_id uuid)'),
     ('remove_member(p_organization_id uuid, p_user_id uuid)'),
     ('remove_organization_domain(p_domain_id uuid)'),
     ('replay_webhook_message(p_message_id text, p_endpoint_id uuid)'),
     ('request_organization_deletion(p_organization_id uuid, p_confirm_slug text)'),
     ('request_to_join(p_organization_id uuid)'),
     ('request_user_onboarding(p_payload jsonb, p_start_token text, p_resend boolean)'),
     ('revoke_directory_token(p_token_id uuid)'),
     ('revoke_invite(p_invite_id uuid)'),
     ('revoke_invite_link(p_link_id uuid)'),
     ('rotate_webhook_secret(p_endpoint_id uuid)'),
     ('save_onboarding_phase(p_organization_id uuid, p_phase text, p_data jsonb)'),
     ('set_active_organization(p_organization_id uuid)'),
     ('set_directory_group_role(p_organization_id uuid, p_group text, p_role text)'),
     ('set_directory_settings(p_organization_id uuid, p_default_role text, p_send_invitations boolean)'),
     ('set_domain_enrollment(p_domain_id uuid, p_mode text, p_default_role text)'),
     ('set_organization_mfa_policy(p_organization_id uuid, p_required boolean)'),
     ('transfer_ownership(p_organization_id uuid, p_user_id uuid)'),
     ('update_role(p_role_id uuid, p_name text, p_permissions text[])'),
     ('verify_domain(p_organization_id uuid)'),
     ('verify_organization_domain(p_domain_id uuid)') $$,
  'authenticated may execute exactly the allow-listed RPCs'
);

select is(
  (select extnamespace::regnamespace::text from pg_extension where extname = 'pgcrypto'),
  'extensions',
  'pgcrypto lives in the extensions schema'
);

select ok(has_function_privilege('supabase_auth_admin', 'public.custom_access_token_hook(jsonb)', 'execute'),
  'Supabase Auth may call the access token hook');
select ok(not has_function_privilege('authenticated', 'public.custom_access_token_hook(jsonb)', 'execute'),
  'signed-in users may not call the access token hook');

-- PostgREST describes each table with its comment (its OpenAPI at /rest/v1/, and the
-- generated client's types), and supabase/schemas/ carries it: a table says what it is.
select is_empty(
  $$ select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('public', 'private') and c.relkind = 'r' and obj_description(c.oid, 'pg_class') is null $$,
  'every table in public and private has a comment saying what it holds');

select * from finish();
rollback;
