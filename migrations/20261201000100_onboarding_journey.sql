-- The onboarding journey as a product (issue 24): what the web app needs from the
-- database to finish the journey without raw database text reaching anyone.
--
-- 1. A tenant's user added twice is refused with a stable code (`tenant_user_exists`,
--    409), not PostgreSQL's constraint message: inserts go through PostgREST straight to
--    the table, so the check is a trigger, serialized per (tenant, email) so that two
--    concurrent adds cannot both pass it (the unique constraint stays as the backstop).
-- 2. A Telegram onboarding requested while the Make scenario is not configured stays
--    queued: `hold_onboarding_delivery` gives the attempt back, records why on the
--    timeline and tells the tenant once; the dispatcher delivers it once Make is set.

-- Tenant users: one per email per tenant, refused in words ------------------------------------

-- Only for whoever may manage the tenant (its owners and admins, or the service role):
-- for anyone else the row-level policy refuses the insert (checked after this trigger),
-- and this must not tell them which addresses another tenant has.
create or replace function private.refuse_duplicate_tenant_user() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  new.email := lower(btrim(new.email));
  if auth.uid() is not null and not private.is_tenant_admin(new.tenant_id) then
    return new;
  end if;
  perform pg_advisory_xact_lock(hashtextextended(new.tenant_id::text || '/' || new.email, 0));
  if exists (select 1 from public.tenant_users
             where tenant_id = new.tenant_id and email = new.email
               and id is distinct from new.id) then
    raise exception using errcode = '23505', message = 'tenant_user_exists',
      detail = 'this tenant already has a user with that email address';
  end if;
  return new;
end
$$;
revoke execute on function private.refuse_duplicate_tenant_user() from public;

drop trigger if exists refuse_duplicate_tenant_user on public.tenant_users;
create trigger refuse_duplicate_tenant_user before insert or update of email on public.tenant_users
  for each row execute function private.refuse_duplicate_tenant_user();

-- Telegram onboarding while Make is not configured --------------------------------------------

-- The function could not attempt delivery because Make is not configured: the message
-- stays pending and due (the dispatcher sends it once Make is configured), the attempt is
-- given back (waiting is not failing), the timeline says why, and the tenant is told the
-- first time a message of theirs waits. Service role only (the function reports it).
create or replace function public.hold_onboarding_delivery(p_outbox_id bigint, p_attempt integer, p_reason text)
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_message public.onboarding_outbox;
  v_user public.tenant_users;
begin
  if p_reason is null or p_reason !~ '^[a-z_]{1,64}$' then
    raise exception using errcode = '22023', message = 'invalid_reason', detail = 'p_reason: a snake_case reason';
  end if;
  select * into v_message from public.onboarding_outbox where id = p_outbox_id for update;
  if not found or v_message.status <> 'pending' or v_message.attempts <> p_attempt then
    return jsonb_build_object('applied', false);
  end if;
  update public.onboarding_outbox
  set attempts = attempts - 1, lease_until = null, next_attempt_at = now(), last_error = p_reason
  where id = p_outbox_id;
  select * into v_user from public.tenant_users where id = v_message.user_id;
  perform private.onboarding_event(v_user, v_message.correlation_id, 'delivery_waiting',
    jsonb_build_object('reason', p_reason));
  if not exists (select 1 from public.tenant_notifications
                 where user_id = v_user.id and type = 'onboarding.waiting'
                   and metadata ->> 'correlation_id' = v_message.correlation_id::text) then
    perform private.notify_tenant(v_user, v_message.correlation_id, 'onboarding.waiting', 'Waiting for Make',
      format('The Telegram invite for %s is queued: the Make scenario is not configured yet. '
             'It is sent automatically as soon as it is; nothing needs to be done here.', v_user.email),
      'warning');
  end if;
  return jsonb_build_object('applied', true);
end
$$;
revoke execute on function public.hold_onboarding_delivery(bigint, integer, text) from public, anon, authenticated;
grant execute on function public.hold_onboarding_delivery(bigint, integer, text) to service_role;
