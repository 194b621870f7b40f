/** A topic and partition; the unit Kafka assigns and offsets are tracked for. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}[${tp.partition}]`;
}

/** Topic names are prefixed by a namespace so environments can share a cluster. */
export function namespaced(namespace: string, name: string): string {
  if (!/^[a-zA-Z0-9._-]+$/.test(namespace)) throw new Error(`invalid namespace "${namespace}"`);
  return `${namespace}.${name}`;
}
