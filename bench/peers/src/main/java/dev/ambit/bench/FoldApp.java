package dev.ambit.bench;

import java.nio.ByteBuffer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Stateful peer: folds each key's BenchEvents into a persistent (RocksDB, changelogged,
 * cached) store and emits one JSON line per input record:
 * {"seq":S,"count":C,"chain":H,"bytes":B}. The fold is the same as the Ambit agent's, so
 * outputs can be compared value for value.
 */
public final class FoldApp {
  static final String STORE = "fold";

  private FoldApp() {}

  public static void main(String[] argv) {
    Args args = Args.parse("FoldApp", argv);
    StoreBuilder<KeyValueStore<String, byte[]>> store =
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(), Serdes.ByteArray())
            .withCachingEnabled(); // logging (the changelog) is on by default
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(store);
    builder
        .stream(args.input, Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .process(FoldProcessor::new, STORE)
        .to(args.output, Produced.with(Serdes.String(), Serdes.String()));
    Lifecycle.run(builder.build(), args.streamsConfig());
  }

  /** A key's fold state; stored as 20 big-endian bytes: count (8), chain (4), bytes (8). */
  static final class State {
    long count;
    int chain = (int) 2166136261L; // FNV-1a offset basis
    long bytes;

    static State decode(byte[] b) {
      State s = new State();
      if (b == null) return s;
      ByteBuffer buf = ByteBuffer.wrap(b);
      s.count = buf.getLong();
      s.chain = buf.getInt();
      s.bytes = buf.getLong();
      return s;
    }

    byte[] encode() {
      return ByteBuffer.allocate(20).putLong(count).putInt(chain).putLong(bytes).array();
    }

    void fold(long seq, int payloadBytes) {
      // int arithmetic wraps like JS Math.imul, which the TypeScript side uses.
      chain = (chain ^ (int) seq) * 16777619;
      count += 1;
      bytes += payloadBytes;
    }
  }

  static final class FoldProcessor implements Processor<String, byte[], String, String> {
    private ProcessorContext<String, String> context;
    private KeyValueStore<String, byte[]> store;

    @Override
    public void init(ProcessorContext<String, String> context) {
      this.context = context;
      this.store = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
      Lifecycle.recordSeen();
      String key = record.key();
      if (key == null) throw new IllegalArgumentException("FoldApp needs keyed input; got a record without a key");
      BenchEvent event = BenchEvent.decode(record.value());
      State state = State.decode(store.get(key));
      state.fold(event.seq, event.payloadBytes);
      store.put(key, state.encode());
      String json = "{\"seq\":" + event.seq + ",\"count\":" + state.count + ",\"chain\":"
          + Integer.toUnsignedLong(state.chain) + ",\"bytes\":" + state.bytes + "}";
      context.forward(record.withValue(json));
    }
  }

  /**
   * A BenchEvent { seq: long, payload: string } in Confluent framing: magic byte 0, a 4-byte
   * schema id (ignored), then Avro binary. Decoded by hand: two fields do not need an Avro
   * library, and only the payload's byte length is used.
   */
  static final class BenchEvent {
    final long seq;
    final int payloadBytes;

    private BenchEvent(long seq, int payloadBytes) {
      this.seq = seq;
      this.payloadBytes = payloadBytes;
    }

    static BenchEvent decode(byte[] v) {
      if (v == null) throw new IllegalArgumentException("BenchEvent: null value");
      if (v.length < 5) throw new IllegalArgumentException("BenchEvent: " + v.length + " bytes is shorter than the 5-byte header");
      if (v[0] != 0) throw new IllegalArgumentException("BenchEvent: bad magic byte " + (v[0] & 0xff) + " (want 0)");
      int[] pos = {5};
      long seq = readLong(v, pos);
      long length = readLong(v, pos);
      if (length < 0 || length > v.length - pos[0]) {
        throw new IllegalArgumentException("BenchEvent: payload length " + length + " exceeds the " + (v.length - pos[0]) + " bytes left");
      }
      pos[0] += (int) length;
      if (pos[0] != v.length) throw new IllegalArgumentException("BenchEvent: " + (v.length - pos[0]) + " unexpected trailing bytes");
      return new BenchEvent(seq, (int) length);
    }

    /** Avro long: zig-zag varint, at most 10 bytes. */
    private static long readLong(byte[] v, int[] pos) {
      long raw = 0;
      for (int shift = 0; shift < 70; shift += 7) {
        if (pos[0] >= v.length) throw new IllegalArgumentException("BenchEvent: truncated varint");
        int b = v[pos[0]++] & 0xff;
        raw |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) return (raw >>> 1) ^ -(raw & 1);
      }
      throw new IllegalArgumentException("BenchEvent: varint longer than 10 bytes");
    }
  }
}
