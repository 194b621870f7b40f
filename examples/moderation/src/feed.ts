/**
 * Demo feed: publishes sample submissions to `<ns>.content.submitted` at a steady rate until
 * stopped (SIGINT/SIGTERM). Started by `pnpm platform`; run alone with
 *   KAFKA_BROKERS=... SCHEMA_REGISTRY_URL=... AMBIT_NAMESPACE=dev node --import tsx examples/moderation/src/feed.ts [perSecond]
 * Keys are user ids, placed with the Java-compatible partitioner like every Ambit producer.
 */
import { createProducer, parseBrokers } from '@ambit/kafka';
import { loadSchema, type ContentSubmitted } from '@ambit/schemas';
import { avroSerde, createSchemaRegistryClient, valueSubject } from '@ambit/serde';

const SAMPLES = [
  'great photo from the weekend, thanks team',
  'new recipe again today, love this',
  'buy followers cheap, click here for a scam offer',
  'you are an idiot and this is spam',
  'music tonight with the team',
  'free crypto giveaway scam, send your password',
];

const env = process.env;
const topic = `${env.AMBIT_NAMESPACE ?? 'dev'}.content.submitted`;
const perSecond = Number(process.argv[2] ?? 2);
const serde = avroSerde<ContentSubmitted>({
  registry: createSchemaRegistryClient({ url: env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7' }),
  subject: valueSubject(topic),
  schema: loadSchema('ContentSubmitted').schema,
});
const producer = await createProducer({ brokers: parseBrokers(env.KAFKA_BROKERS ?? '127.0.0.1:9092') });
let i = 0;
let stopping = false;
for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => void (stopping = true));
while (!stopping) {
  const user = `demo:u${i % 7}`;
  const value: ContentSubmitted = {
    tenant: 'demo',
    contentId: `demo:c${Date.now()}-${i}`,
    userId: user,
    text: SAMPLES[i % SAMPLES.length]!,
    submittedAt: Date.now(),
    locale: 'en',
  };
  await producer.send([{ topic, key: user, value: await serde.serialize(value) }]);
  i++;
  await new Promise((r) => setTimeout(r, 1000 / perSecond));
}
await producer.close();
process.exit(0);
