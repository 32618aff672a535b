-- Helpers every pgTAP file uses, installed once before them (this file is not rolled
-- back), as Basejump's supabase_test_helpers are: act as a user exactly as PostgREST does
-- for a request carrying that user's JWT — the `authenticated` role and the token's
-- claims, for the rest of the transaction. `reset role` returns to the test's own role.
create extension if not exists pgtap with schema extensions;
create schema if not exists tests;
grant usage on schema tests to anon, authenticated;

-- As the signed-in user p_user_id, whose session has the assurance level p_aal
-- ('aal1' after a password, 'aal2' after a second factor).
create or replace function tests.authenticate_as(p_user_id uuid, p_aal text default 'aal1')
returns void language plpgsql as $$
begin
  perform set_config('role', 'authenticated', true);
  perform set_config('request.jwt.claims',
    json_build_object('sub', p_user_id, 'role', 'authenticated', 'aal', p_aal)::text, true);
end $$;

-- As a caller with the publishable key and no session.
create or replace function tests.authenticate_as_anon()
returns void language plpgsql as $$
begin
  perform set_config('role', 'anon', true);
  perform set_config('request.jwt.claims', '{"role": "anon"}', true);
end $$;

grant execute on function tests.authenticate_as(uuid, text), tests.authenticate_as_anon() to anon, authenticated;

begin;
set local search_path = public, extensions;
select plan(3);
select tests.authenticate_as('a0000000-0000-4000-8000-00000000000a', 'aal2');
select is(concat_ws(' ', current_user, auth.uid(), auth.jwt() ->> 'aal'),
  'authenticated a0000000-0000-4000-8000-00000000000a aal2',
  'authenticate_as: the authenticated role, the user and the session''s level');
select tests.authenticate_as('b0000000-0000-4000-8000-00000000000b');
select is(concat_ws(' ', auth.uid(), auth.jwt() ->> 'aal'), 'b0000000-0000-4000-8000-00000000000b aal1',
  'another user, at aal1 by default');
select tests.authenticate_as_anon();
select is(concat_ws(' ', current_user, coalesce(auth.uid()::text, 'nobody')), 'anon nobody',
  'authenticate_as_anon: anon, nobody');
reset role;
select * from finish();
rollback;
