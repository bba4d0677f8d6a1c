import { sql, type Kysely } from "kysely";

// Frozen in time: never imports application code.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  // A reservation id names one hold forever. The wallet remembers only its recent holds; this
  // index remembers all of them, so a retried Authorize can never place a second hold under the
  // same id (the append fails and the retry is answered from the hold that exists), and Commit
  // can find the model of a hold the wallet has forgotten.
  await sql`create unique index wallet_events_reservation_uq on wallet_events (tenant_id, wallet_id, (payload ->> 'reservationId'))
            where type = 'FundsReserved'`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists wallet_events_reservation_uq`.execute(db);
}
