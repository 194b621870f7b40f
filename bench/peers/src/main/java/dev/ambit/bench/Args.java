package dev.ambit.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;

/** The flags both apps share, and the Kafka Streams configuration built from them. */
final class Args {
  /** Flag name to default; a null default marks a required flag. */
  private static final Map<String, String> FLAGS = new LinkedHashMap<>();

  static {
    FLAGS.put("bootstrap", null);
    FLAGS.put("app-id", null);
    FLAGS.put("input", null);
    FLAGS.put("output", null);
    FLAGS.put("state-dir", null);
    FLAGS.put("commit-interval-ms", "100");
    FLAGS.put("linger-ms", "5");
    FLAGS.put("batch-size", "1000000");
    FLAGS.put("compression", "lz4");
    FLAGS.put("cache-bytes", "10485760");
    FLAGS.put("threads", "1");
  }

  final String bootstrap;
  final String appId;
  final String input;
  final String output;
  final String stateDir;
  final long commitIntervalMs;
  final int lingerMs;
  final int batchSize;
  final String compression;
  final long cacheBytes;
  final int threads;

  private Args(Map<String, String> v) {
    bootstrap = v.get("bootstrap");
    appId = v.get("app-id");
    input = v.get("input");
    output = v.get("output");
    stateDir = v.get("state-dir");
    commitIntervalMs = number(v, "commit-interval-ms", 0, Long.MAX_VALUE);
    lingerMs = (int) number(v, "linger-ms", 0, Integer.MAX_VALUE);
    batchSize = (int) number(v, "batch-size", 0, Integer.MAX_VALUE);
    compression = v.get("compression");
    cacheBytes = number(v, "cache-bytes", 0, Long.MAX_VALUE);
    threads = (int) number(v, "threads", 1, 1024);
  }

  /** Parses `--name value` pairs; on a bad command line prints why and exits 2. */
  static Args parse(String app, String[] argv) {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < argv.length; i++) {
      String arg = argv[i];
      if (arg.equals("--help") || arg.equals("-h")) {
        System.out.println(usage(app));
        System.exit(0);
      }
      String name = arg.startsWith("--") ? arg.substring(2) : null;
      if (name == null || !FLAGS.containsKey(name)) fail(app, "unknown argument: " + arg);
      if (i + 1 >= argv.length) fail(app, arg + " needs a value");
      values.put(name, argv[++i]);
    }
    for (Map.Entry<String, String> f : FLAGS.entrySet()) {
      if (values.containsKey(f.getKey())) continue;
      if (f.getValue() == null) fail(app, "missing required flag --" + f.getKey());
      values.put(f.getKey(), f.getValue());
    }
    try {
      return new Args(values);
    } catch (IllegalArgumentException e) {
      fail(app, e.getMessage());
      throw e; // unreachable: fail exits
    }
  }

  private static long number(Map<String, String> v, String name, long min, long max) {
    String s = v.get(name);
    try {
      long n = Long.parseLong(s);
      if (n >= min && n <= max) return n;
    } catch (NumberFormatException e) {
      // reported below, like an out-of-range value
    }
    throw new IllegalArgumentException("--" + name + " must be an integer in [" + min + ", " + max + "], got '" + s + "'");
  }

  private static String usage(String app) {
    StringBuilder b = new StringBuilder("usage: java -cp <classpath> dev.ambit.bench." + app);
    for (Map.Entry<String, String> f : FLAGS.entrySet()) {
      b.append(f.getValue() == null ? " --" + f.getKey() + " <value>" : " [--" + f.getKey() + " " + f.getValue() + "]");
    }
    return b.toString();
  }

  private static void fail(String app, String why) {
    System.err.println(app + ": " + why);
    System.err.println(usage(app));
    System.exit(2);
  }

  /** Exactly-once Streams config; the caller creates the input and output topics beforehand. */
  Properties streamsConfig() {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, cacheBytes);
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), lingerMs);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), batchSize);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), compression);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    return p;
  }
}
