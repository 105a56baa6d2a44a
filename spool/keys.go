package spool

import "encoding/binary"

// Key prefixes; see the package doc for the layout.
const (
	prefixMeta       = 'm'
	prefixNextStream = 'n'
	prefixClock      = 'c'
	prefixStats      = 's'
	prefixChunk      = 'r'
	prefixCheckpoint = 'k'
	prefixState      = 'a'
)

func metaKey(sid uint32) []byte {
	k := make([]byte, 5)
	k[0] = prefixMeta
	binary.BigEndian.PutUint32(k[1:], sid)
	return k
}

func statsKey(sid, shard uint32) []byte {
	k := make([]byte, 9)
	k[0] = prefixStats
	binary.BigEndian.PutUint32(k[1:], sid)
	binary.BigEndian.PutUint32(k[5:], shard)
	return k
}

// shardPrefix is the common prefix of every chunk key of one shard.
func shardPrefix(sid, shard uint32) []byte {
	k := make([]byte, 9, 17)
	k[0] = prefixChunk
	binary.BigEndian.PutUint32(k[1:], sid)
	binary.BigEndian.PutUint32(k[5:], shard)
	return k
}

func streamChunkPrefix(sid uint32) []byte {
	k := make([]byte, 5)
	k[0] = prefixChunk
	binary.BigEndian.PutUint32(k[1:], sid)
	return k
}

func chunkKey(sid, shard uint32, lastSeq uint64) []byte {
	k := shardPrefix(sid, shard)
	return binary.BigEndian.AppendUint64(k, lastSeq)
}

// chunkKeySeq returns the lastSeq of a chunk key.
func chunkKeySeq(k []byte) uint64 { return binary.BigEndian.Uint64(k[9:17]) }

func checkpointPrefix(consumer string) []byte {
	k := make([]byte, 0, 2+len(consumer)+8)
	k = append(k, prefixCheckpoint, byte(len(consumer)))
	return append(k, consumer...)
}

func checkpointKey(consumer string, sid, shard uint32) []byte {
	k := checkpointPrefix(consumer)
	k = binary.BigEndian.AppendUint32(k, sid)
	return binary.BigEndian.AppendUint32(k, shard)
}

func statePrefix(owner string) []byte {
	k := make([]byte, 0, 2+len(owner))
	k = append(k, prefixState, byte(len(owner)))
	return append(k, owner...)
}

func stateKey(owner, key string) []byte { return append(statePrefix(owner), key...) }
