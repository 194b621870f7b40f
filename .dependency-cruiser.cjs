/**
 * The layering of docs/architecture.md ("Packages and layering"), as rules CI enforces (`pnpm deps`):
 * core -> (kafka, serde, state, policy, agent-api) -> runtime -> services.
 * Tests may import @ambit/testing; nothing else may reach upward or sideways.
 */
const notTest = '\\.test\\.ts$|/test/';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: { pathNot: notTest }, to: { circular: true, pathNot: notTest } },
    {
      name: 'kafka-client-only-in-libs-kafka',
      comment: 'libs/kafka is the only importer of the Kafka client (principle 5, docs/principles.md).',
      severity: 'error',
      from: { pathNot: '^libs/kafka/|^bench/' },
      to: { path: 'node_modules/.*(@confluentinc/kafka-javascript|kafkajs)/' },
    },
    {
      name: 'state-engine-only-in-libs-state',
      severity: 'error',
      from: { pathNot: '^libs/state/|^bench/' },
      to: { path: 'node_modules/.*classic-level/' },
    },
    {
      name: 'otel-only-in-libs-telemetry',
      severity: 'error',
      from: { pathNot: '^libs/telemetry/' },
      to: { path: 'node_modules/@opentelemetry/' },
    },
    {
      name: 'fastify-only-in-services-and-connectors',
      severity: 'error',
      from: { pathNot: '^(services|connectors)/' },
      to: { path: 'node_modules/.*fastify' },
    },
    {
      name: 'core-imports-no-ambit-package',
      severity: 'error',
      from: { path: '^libs/core/' },
      to: { path: '^(libs|services|connectors|infra|schemas)/', pathNot: '^libs/core/' },
    },
    {
      name: 'agent-api-is-runtime-free',
      comment: 'Agent code cannot reach Kafka, stores or the runtime (principle 3, docs/principles.md).',
      severity: 'error',
      from: { path: '^libs/agent-api/' },
      to: { path: '^libs/(kafka|state|runtime|serde|testing)/|^services/|node_modules/', pathNot: 'node_modules/(@types|vitest)/' },
    },
    {
      name: 'libs-do-not-import-services-or-connectors',
      severity: 'error',
      from: { path: '^libs/', pathNot: notTest },
      to: { path: '^(services|connectors)/' },
    },
    {
      name: 'services-do-not-import-each-other',
      severity: 'error',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/([^/]+)/', pathNot: '^services/$1/' },
    },
    {
      name: 'low-libs-do-not-import-runtime',
      severity: 'error',
      from: { path: '^libs/(core|kafka|serde|state|policy|agent-api)/' },
      to: { path: '^libs/runtime/' },
    },
    {
      name: 'cli-does-not-import-runtime',
      comment: 'The CLI takes names from @ambit/core and topics from @ambit/schemas; only its tests run agents.',
      severity: 'error',
      from: { path: '^services/cli/', pathNot: notTest },
      to: { path: '^libs/runtime/' },
    },
    {
      name: 'only-tests-import-testing',
      severity: 'error',
      from: { pathNot: `${notTest}|^libs/testing/|^bench/` },
      to: { path: '^libs/testing/' },
    },
    {
      name: 'driver-and-processor-are-kafka-free',
      comment:
        'The in-memory driver and the record processor it shares with the runtime reach neither the Kafka client, libs/kafka, the serde nor infra, even transitively (issue: one record processor).',
      severity: 'error',
      from: { path: '^libs/testing/src/driver\\.ts$|^libs/runtime/src/processor/' },
      to: { path: '^libs/(kafka|serde)/|^infra/|node_modules/.*(@confluentinc/kafka-javascript|kafkajs)/', reachable: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    exclude: { path: 'node_modules|\\.ambit' },
  },
};
