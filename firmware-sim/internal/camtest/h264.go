package camtest

// NALTypes returns the nal_unit_type of each NAL unit of an Annex-B
// access unit. It is a second, deliberately simple splitter, so tests do
// not check the camera's parser with itself.
func NALTypes(au []byte) []byte {
	var types []byte
	for i := 0; i+3 < len(au); i++ {
		if au[i] == 0 && au[i+1] == 0 && au[i+2] == 1 {
			types = append(types, au[i+3]&0x1f)
			i += 3
		}
	}
	return types
}
