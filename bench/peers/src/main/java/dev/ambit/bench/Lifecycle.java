package dev.ambit.bench;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;

/**
 * Runs a topology until SIGTERM or a fatal stream error, reporting progress as JSON lines on
 * stdout (the benchmark driver reads them; Kafka's logging goes to stderr):
 * {"event":"running","at":ms}, {"event":"first","at":ms}, {"event":"closed","at":ms},
 * {"event":"error","message":"..."}.
 */
final class Lifecycle {
  private static final AtomicBoolean FIRST_SEEN = new AtomicBoolean();

  private Lifecycle() {}

  /** Call for every input record; emits the "first" event once per process, whatever the thread. */
  static void recordSeen() {
    if (!FIRST_SEEN.get() && FIRST_SEEN.compareAndSet(false, true)) event("first");
  }

  static void run(Topology topology, Properties config) {
    KafkaStreams streams = new KafkaStreams(topology, config);
    AtomicBoolean running = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch failed = new CountDownLatch(1);

    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.RUNNING && running.compareAndSet(false, true)) event("running");
      if (now == KafkaStreams.State.ERROR) failed.countDown();
    });
    streams.setUncaughtExceptionHandler(e -> {
      if (failure.compareAndSet(null, e)) error(describe(e));
      // Stop every thread (not just replace this one) so a broken run fails fast.
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      boolean clean = streams.close(Duration.ofSeconds(30));
      int status;
      if (failure.get() != null) {
        status = 1; // the error event was already printed
      } else if (clean) {
        event("closed");
        status = 0;
      } else {
        error("close did not finish within 30 s");
        status = 1;
      }
      // A JVM ended by SIGTERM otherwise exits 143; halt sets the status we mean (and
      // System.exit would block inside a shutdown hook).
      System.out.flush();
      Runtime.getRuntime().halt(status);
    }, "ambit-peer-shutdown"));

    streams.start();
    try {
      failed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (failure.get() == null) failure.set(new IllegalStateException("Kafka Streams entered ERROR"));
    System.exit(1); // runs the shutdown hook, which closes what is left and halts with 1
  }

  private static String describe(Throwable e) {
    // The root cause says more than Streams' wrapper ("Exception caught in process ...").
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    String msg = e.toString();
    return root == e ? msg : msg + " (caused by " + root + ")";
  }

  private static void event(String name) {
    print("{\"event\":\"" + name + "\",\"at\":" + System.currentTimeMillis() + "}");
  }

  private static void error(String message) {
    print("{\"event\":\"error\",\"message\":" + Json.string(message) + "}");
  }

  private static synchronized void print(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
