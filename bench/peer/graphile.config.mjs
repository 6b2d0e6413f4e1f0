// PostGraphile v5 on the service's own PostgreSQL database, read-only, for bench/peer/run.sh.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.PEER_DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: 10 },
    }),
  ],
  grafserv: { port: Number(process.env.PEER_PORT || 18383), host: "127.0.0.1", graphiql: false },
  grafast: { explain: false },
  // Conditions and orderings on every column, not only indexed ones (the service filters
  // assessments by status, memberships by end date).
  disablePlugins: ["PgIndexBehaviorsPlugin"],
};
export default preset;
