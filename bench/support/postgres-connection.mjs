// The PostgreSQL server the sink benchmarks write to (PGHOST, PGPORT, PGUSER, PGDATABASE), and
// the pg module @capital/sinks depends on (the root has no pg of its own).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export const connection = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};

const requireFromSinks = createRequire(import.meta.resolve('@capital/sinks'));
export const { default: pg } = await import(pathToFileURL(requireFromSinks.resolve('pg')).href);
