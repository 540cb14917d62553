// `tessera/rls`: row-level security in your own PostgreSQL over Tessera access tokens (README, "Row-level security").
export { setClaimsSql, tesseraRls, withAuth } from './with-auth.js';
export { authSchemaSql, installAuthSchema } from './install.js';
