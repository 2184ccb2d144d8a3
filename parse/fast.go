package parse

import (
	"errors"
	"fmt"
	"io"
	"reflect"
)

// fieldMap is, for a row struct T, the struct field index of each column,
// found once from the csv tags gocsv uses.
func fieldMap[T any](columns []string) ([]int, error) {
	var zero T
	rt := reflect.TypeOf(zero)
	if rt.Kind() != reflect.Struct {
		return nil, fmt.Errorf("row type %v is not a struct", rt)
	}
	byTag := map[string]int{}
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if f.Type.Kind() != reflect.String {
			return nil, fmt.Errorf("row field %s is not a string", f.Name)
		}
		byTag[f.Tag.Get("csv")] = i
	}
	idx := make([]int, len(columns))
	for c, name := range columns {
		i, ok := byTag[name]
		if !ok {
			return nil, fmt.Errorf("row type %v has no field for column %q", rt, name)
		}
		idx[c] = i
	}
	return idx, nil
}

// Decode reads every row from dec into an R and calls fn with it, in the
// caller's goroutine, stopping at the first error from fn or the decoder.
// It is the one decoder every analysis uses.
//
// R is either a struct of string fields whose csv tags (the ones gocsv
// reads) name the columns, or []string for a column set known only at run
// time. For a struct the column-to-field table is built once and each row
// is filled in place: measured ~4x cheaper per row than gocsv's reflective,
// channel-fed decoding (BenchmarkDecode*), which matters on the HTTP path,
// where every TCP payload segment is a row and the Go side competes with
// parallel tshark processes for the same cores. The R passed to fn is
// reused from row to row (the strings in it are fresh), so fn must copy
// what it keeps of a []string row. gocsv stays the reference: StreamRows
// decodes with it, and the fuzz targets check both decode every row alike.
func Decode[R any](dec *Decoder, fn func(*R) error) error {
	header, err := dec.GetCSVRow()
	if err != nil {
		return err
	}
	var row R
	if raw, ok := any(&row).(*[]string); ok {
		return decodeRaw(dec, raw, func() error { return fn(&row) })
	}
	idx, err := fieldMap[R](header)
	if err != nil {
		return err
	}
	v := reflect.ValueOf(&row).Elem()
	fields := make([]reflect.Value, len(idx))
	for c, i := range idx {
		fields[c] = v.Field(i)
	}
	for {
		cols, err := dec.nextReuse()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		for c, s := range cols {
			fields[c].SetString(s)
		}
		if err := fn(&row); err != nil {
			return err
		}
	}
}

// decodeRaw is Decode for []string rows.
func decodeRaw(dec *Decoder, raw *[]string, fn func() error) error {
	for {
		cols, err := dec.nextReuse()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		*raw = cols
		if err := fn(); err != nil {
			return err
		}
	}
}
