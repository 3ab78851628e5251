package tfmodel

import (
	"reflect"
	"testing"
)

func TestFlatTensorHelpers(t *testing.T) {
	ft, err := NewTensorShaped([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := ft.Shape(); !reflect.DeepEqual(got, []int64{2, 3}) {
		t.Fatalf("shape %v", got)
	}
	if v := ft.Value().([][]float32); v[1][0] != 4 {
		t.Fatalf("row-major layout broken: %v", v)
	}
	f, err := Float32s(ft)
	if err != nil || !reflect.DeepEqual(f, []float32{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("Float32s = %v, %v", f, err)
	}
	it, _ := NewTensorShaped([]int32{7, 8, 9, 10}, 2, 1, 2)
	i, err := Int32s(it)
	if err != nil || !reflect.DeepEqual(i, []int32{7, 8, 9, 10}) {
		t.Fatalf("Int32s = %v, %v", i, err)
	}
	if _, err := Int32s(ft); err == nil {
		t.Error("Int32s accepted a float tensor")
	}
	if _, err := NewTensorShaped([]float32{1, 2, 3}, 2, 2); err == nil {
		t.Error("bad shape accepted")
	}
}
