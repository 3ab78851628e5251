package inception

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
)

// This file is a minimal Python unpickler, enough for the data.pkl of a
// TorchScript archive (pickle protocol 2 as written by PyTorch's C++
// pickler) and small protocol-2..4 pickles of plain data. It executes no
// code: GLOBAL only names a class or function, and REDUCE / NEWOBJ call a
// resolver supplied by the caller, which knows the few callables it accepts.
//
// Python values map to Go values as follows:
//
//	None → nil, bool → bool, int → int64 (*big.Int when it does not fit),
//	float → float64, str → string, bytes → []byte, tuple → pyTuple,
//	list → *pyList, dict → *pyDict (insertion-ordered), GLOBAL → pyGlobal,
//	instance built by NEWOBJ/BUILD → *pyObject.

// pyTuple is a Python tuple.
type pyTuple []any

// pyList is a Python list (a pointer, since APPENDS mutates it after memoization).
type pyList struct{ items []any }

// pyDict is a Python dict with its keys in insertion order. Keys are the
// hashable Go values above (strings and ints in practice).
type pyDict struct {
	keys   []any
	values map[any]any
}

func newPyDict() *pyDict { return &pyDict{values: map[any]any{}} }

func (d *pyDict) set(k, v any) error {
	switch k.(type) {
	case nil, bool, int64, float64, string, pyGlobal:
	default:
		return fmt.Errorf("unsupported dict key type %T", k)
	}
	if _, ok := d.values[k]; !ok {
		d.keys = append(d.keys, k)
	}
	d.values[k] = v
	return nil
}

// pyGlobal is a class or function named by GLOBAL / STACK_GLOBAL.
type pyGlobal struct{ module, name string }

func (g pyGlobal) String() string { return g.module + "." + g.name }

// pyObject is an instance created by NEWOBJ (or REDUCE of a class) and
// filled by BUILD.
type pyObject struct {
	class pyGlobal
	args  pyTuple
	state any
}

// pickleResolver gives meaning to the callables and persistent ids of a pickle.
type pickleResolver interface {
	// call evaluates REDUCE: callable(*args).
	call(callable any, args pyTuple) (any, error)
	// persistentLoad evaluates BINPERSID / PERSID.
	persistentLoad(pid any) (any, error)
}

type unpickler struct {
	r     *bufio.Reader
	res   pickleResolver
	stack []any
	marks []int
	memo  map[uint32]any
	pos   int64
}

// markObj separates items on the stack; it is never visible to callers.
type markObj struct{}

// unpickle reads one pickle from r.
func unpickle(r io.Reader, res pickleResolver) (any, error) {
	u := &unpickler{r: bufio.NewReader(r), res: res, memo: map[uint32]any{}}
	v, err := u.run()
	if err != nil {
		return nil, fmt.Errorf("pickle offset %d: %w", u.pos, err)
	}
	return v, nil
}

func (u *unpickler) readN(n int) ([]byte, error) {
	if n < 0 || n > 1<<30 {
		return nil, fmt.Errorf("bad length %d", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(u.r, b); err != nil {
		return nil, fmt.Errorf("truncated: %w", err)
	}
	u.pos += int64(n)
	return b, nil
}

func (u *unpickler) readLine() (string, error) {
	s, err := u.r.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("truncated line: %w", err)
	}
	u.pos += int64(len(s))
	return s[:len(s)-1], nil
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	n := len(u.stack)
	if n == 0 || (len(u.marks) > 0 && u.marks[len(u.marks)-1] == n) {
		return nil, errors.New("stack underflow")
	}
	v := u.stack[n-1]
	u.stack = u.stack[:n-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	n := len(u.stack)
	if n == 0 || (len(u.marks) > 0 && u.marks[len(u.marks)-1] == n) {
		return nil, errors.New("stack underflow")
	}
	return u.stack[n-1], nil
}

// popMark returns the items pushed since the last MARK and removes them and the mark.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, errors.New("no MARK on the stack")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := append([]any(nil), u.stack[m:]...)
	u.stack = u.stack[:m]
	return items, nil
}

func (u *unpickler) popN(n int) ([]any, error) {
	items := make([]any, n)
	for i := n - 1; i >= 0; i-- {
		v, err := u.pop()
		if err != nil {
			return nil, err
		}
		items[i] = v
	}
	return items, nil
}

func (u *unpickler) memoGet(i uint32) error {
	v, ok := u.memo[i]
	if !ok {
		return fmt.Errorf("memo key %d not set", i)
	}
	u.push(v)
	return nil
}

func (u *unpickler) memoPut(i uint32) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	u.memo[i] = v
	return nil
}

func (u *unpickler) uint(n int) (uint64, error) {
	b, err := u.readN(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

// decodeLong decodes a little-endian two's-complement integer (LONG1/LONG4).
func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) <= 8 {
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		shift := 64 - 8*uint(len(b))
		return int64(v<<shift) >> shift
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	n := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n
}

func (u *unpickler) run() (any, error) {
	for {
		code, err := u.r.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("truncated before STOP: %w", err)
		}
		u.pos++
		if err := u.step(code); err != nil {
			if errors.Is(err, errStop) {
				return u.pop()
			}
			return nil, err
		}
	}
}

var errStop = errors.New("STOP")

func (u *unpickler) step(code byte) error {
	switch code {
	case 0x80: // PROTO
		p, err := u.uint(1)
		if err != nil {
			return err
		}
		if p > 5 {
			return fmt.Errorf("unsupported pickle protocol %d", p)
		}
	case 0x95: // FRAME
		_, err := u.uint(8)
		return err
	case '.': // STOP
		return errStop
	case '(': // MARK
		u.marks = append(u.marks, len(u.stack))
	case '0': // POP
		_, err := u.pop()
		return err
	case 'N':
		u.push(nil)
	case 0x88: // NEWTRUE
		u.push(true)
	case 0x89: // NEWFALSE
		u.push(false)
	case 'K': // BININT1
		v, err := u.uint(1)
		u.push(int64(v))
		return err
	case 'M': // BININT2
		v, err := u.uint(2)
		u.push(int64(v))
		return err
	case 'J': // BININT
		v, err := u.uint(4)
		u.push(int64(int32(uint32(v))))
		return err
	case 0x8a, 0x8b: // LONG1, LONG4
		size := 1
		if code == 0x8b {
			size = 4
		}
		n, err := u.uint(size)
		if err != nil {
			return err
		}
		b, err := u.readN(int(n))
		u.push(decodeLong(b))
		return err
	case 'G': // BINFLOAT (big-endian double)
		b, err := u.readN(8)
		if err != nil {
			return err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
	case 'X', 0x8c, 0x8d: // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
		size := map[byte]int{'X': 4, 0x8c: 1, 0x8d: 8}[code]
		n, err := u.uint(size)
		if err != nil {
			return err
		}
		b, err := u.readN(int(n))
		u.push(string(b))
		return err
	case 'B', 'C', 0x8e: // BINBYTES, SHORT_BINBYTES, BINBYTES8
		size := map[byte]int{'B': 4, 'C': 1, 0x8e: 8}[code]
		n, err := u.uint(size)
		if err != nil {
			return err
		}
		b, err := u.readN(int(n))
		u.push(b)
		return err
	case ')': // EMPTY_TUPLE
		u.push(pyTuple{})
	case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
		items, err := u.popN(int(code-0x85) + 1)
		u.push(pyTuple(items))
		return err
	case 't': // TUPLE
		items, err := u.popMark()
		u.push(pyTuple(items))
		return err
	case ']': // EMPTY_LIST
		u.push(&pyList{})
	case 'l': // LIST
		items, err := u.popMark()
		u.push(&pyList{items: items})
		return err
	case 'a', 'e': // APPEND, APPENDS
		var items []any
		var err error
		if code == 'a' {
			items, err = u.popN(1)
		} else {
			items, err = u.popMark()
		}
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		l, ok := t.(*pyList)
		if !ok {
			return fmt.Errorf("APPEND to %T, want a list", t)
		}
		l.items = append(l.items, items...)
	case '}': // EMPTY_DICT
		u.push(newPyDict())
	case 'd': // DICT
		items, err := u.popMark()
		if err != nil {
			return err
		}
		d := newPyDict()
		u.push(d)
		return setItems(d, items)
	case 's', 'u': // SETITEM, SETITEMS
		var items []any
		var err error
		if code == 's' {
			items, err = u.popN(2)
		} else {
			items, err = u.popMark()
		}
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		d, ok := t.(*pyDict)
		if !ok {
			return fmt.Errorf("SETITEMS on %T, want a dict", t)
		}
		return setItems(d, items)
	case 'q': // BINPUT
		i, err := u.uint(1)
		if err != nil {
			return err
		}
		return u.memoPut(uint32(i))
	case 'r': // LONG_BINPUT
		i, err := u.uint(4)
		if err != nil {
			return err
		}
		return u.memoPut(uint32(i))
	case 0x94: // MEMOIZE
		return u.memoPut(uint32(len(u.memo)))
	case 'h': // BINGET
		i, err := u.uint(1)
		if err != nil {
			return err
		}
		return u.memoGet(uint32(i))
	case 'j': // LONG_BINGET
		i, err := u.uint(4)
		if err != nil {
			return err
		}
		return u.memoGet(uint32(i))
	case 'c': // GLOBAL "module\nname\n"
		mod, err := u.readLine()
		if err != nil {
			return err
		}
		name, err := u.readLine()
		u.push(pyGlobal{mod, name})
		return err
	case 0x93: // STACK_GLOBAL
		items, err := u.popN(2)
		if err != nil {
			return err
		}
		mod, ok1 := items[0].(string)
		name, ok2 := items[1].(string)
		if !ok1 || !ok2 {
			return errors.New("STACK_GLOBAL needs two strings")
		}
		u.push(pyGlobal{mod, name})
	case 'R': // REDUCE
		items, err := u.popN(2)
		if err != nil {
			return err
		}
		args, ok := items[1].(pyTuple)
		if !ok {
			return fmt.Errorf("REDUCE arguments are %T, want a tuple", items[1])
		}
		v, err := u.res.call(items[0], args)
		if err != nil {
			return err
		}
		u.push(v)
	case 0x81: // NEWOBJ
		items, err := u.popN(2)
		if err != nil {
			return err
		}
		cls, ok := items[0].(pyGlobal)
		args, ok2 := items[1].(pyTuple)
		if !ok || !ok2 {
			return fmt.Errorf("NEWOBJ of %T with %T", items[0], items[1])
		}
		u.push(&pyObject{class: cls, args: args})
	case 'b': // BUILD
		items, err := u.popN(1)
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		switch obj := t.(type) {
		case *pyObject:
			obj.state = items[0]
		case *pyDict:
			// OrderedDict() followed by BUILD of its (empty) state.
			if st, ok := items[0].(*pyDict); ok {
				for _, k := range st.keys {
					if err := obj.set(k, st.values[k]); err != nil {
						return err
					}
				}
			}
		default:
			return fmt.Errorf("BUILD on %T", t)
		}
	case 'Q': // BINPERSID
		items, err := u.popN(1)
		if err != nil {
			return err
		}
		v, err := u.res.persistentLoad(items[0])
		if err != nil {
			return err
		}
		u.push(v)
	default:
		return fmt.Errorf("unsupported pickle opcode 0x%02x", code)
	}
	return nil
}

func setItems(d *pyDict, items []any) error {
	if len(items)%2 != 0 {
		return errors.New("odd number of dict items")
	}
	for i := 0; i < len(items); i += 2 {
		if err := d.set(items[i], items[i+1]); err != nil {
			return err
		}
	}
	return nil
}
