import { readFile } from 'node:fs/promises';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { Config } from './config.ts';

/** Connection options shared by the API's client and the worker: plain, mTLS or API key (Temporal Cloud). */
export async function temporalConnectionOptions(config: Config['temporal']): Promise<ConnectionOptions & { apiKey?: string }> {
  const options: ConnectionOptions & { apiKey?: string } = { address: config.address };
  if (config.apiKey) options.apiKey = config.apiKey;
  if (config.tlsCertPath && config.tlsKeyPath) {
    options.tls = {
      clientCertPair: { crt: await readFile(config.tlsCertPath), key: await readFile(config.tlsKeyPath) },
    };
  } else if (config.tls) {
    options.tls = true;
  }
  return options;
}

/**
 * One connection per process; opening one per request is slow and leaks sockets. Lazy:
 * a process starts while Temporal is down, and its calls fail (and are retried) until
 * it is back — work waits in start rows meanwhile.
 */
export async function createTemporalClient(config: Config['temporal']): Promise<Client> {
  const connection = Connection.lazy(await temporalConnectionOptions(config));
  return new Client({ connection, namespace: config.namespace });
}
