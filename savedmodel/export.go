package savedmodel

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	graphpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/graph_go_proto"
	shapepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_shape_go_proto"
	types "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
	pb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"github.com/galeone/tensorflow/tensorflow/go/op"
	"google.golang.org/protobuf/proto"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
	"github.com/maskgit-go/maskgit/internal/atomicfile"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// Signature names and their input and output keys in an exported model.
const (
	// SigEncode maps InImages float32 [B, R, R, 3] in [-1, 1] to OutTokens
	// int32 [B, G, G].
	SigEncode = "encode"
	// SigDecode maps InTokens int32 [B, G, G] to OutImages float32
	// [B, R, R, 3] in [-1, 1].
	SigDecode = "decode"
	// SigLogits maps InTokens int32 [B, G²] (the mask id, = codes, where
	// unknown) to OutLogits float32 [B, G², codes].
	SigLogits = "logits"

	InImages  = "images"
	InTokens  = "tokens"
	OutTokens = "tokens"
	OutImages = "images"
	OutLogits = "logits"

	// MethodPredict is the method name of every exported signature.
	MethodPredict = "tensorflow/serving/predict"
	// TagServe is the default tag set of exported and loaded graphs.
	TagServe = "serve"
	// ConfigFile, under "assets.extra/", records the exported model's
	// configurations (ignored by TensorFlow's loaders).
	ConfigFile = "maskgit.json"
)

// ExportOptions configure Export.
type ExportOptions struct {
	// Tags of the exported MetaGraphDef; nil means ["serve"].
	Tags []string
	// Overwrite replaces an existing output directory (atomically: the new
	// export is complete before it is swapped in with one rename).
	Overwrite bool
	// Threads sizes the session that restores and saves the variables.
	Threads int
}

// ExportedConfig is written to assets.extra/maskgit.json: everything a
// caller needs beside the signatures (docs/savedmodel.md describes it).
// LoadPipeline reads it back.
type ExportedConfig struct {
	// Resolution, Grid and Codes repeat the tokenizer's: images are
	// Resolution² pixels, token grids Grid², token ids in [0, Codes).
	Resolution int64 `json:"resolution"`
	Grid       int64 `json:"grid"`
	Codes      int64 `json:"codes"`
	// MaskID (= Codes) marks unknown tokens in the "logits" input.
	MaskID int32 `json:"mask_id"`
	// ImageRange is the value range of the float32 NHWC images of the
	// "encode" input and "decode" output: [-1, 1] (pixel/127.5 - 1).
	ImageRange [2]float32 `json:"image_range"`
	// Settings are the model's best decoding settings (the model
	// directory's inpaint.json, else pipeline.DefaultSettings).
	Settings    pipeline.Settings  `json:"settings"`
	Tokenizer   vqvae.Config       `json:"tokenizer"`
	Transformer transformer.Config `json:"transformer"`
	// Checkpoints the variables were restored from.
	TokenizerCheckpoint   string `json:"tokenizer_checkpoint"`
	TransformerCheckpoint string `json:"transformer_checkpoint"`
}

// Export writes the model directory modelDir (as pipeline.Load reads it:
// run directories with config.json and best/model; or a SavedModel, as
// LoadPipeline reads it) as a SavedModel in outDir; see ExportModel.
func Export(modelDir, outDir string, opt ExportOptions) error {
	if err := checkOut(outDir, opt); err != nil {
		return err
	}
	m, err := LoadPipeline(modelDir, pipeline.Options{Threads: opt.Threads})
	if err != nil {
		return err
	}
	err = ExportModel(m, outDir, opt)
	if cerr := m.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// ExportModel writes the loaded model m as a SavedModel in outDir:
// saved_model.pb (one MetaGraphDef holding the tokenizer and the
// transformer, with the signatures SigEncode, SigDecode and SigLogits),
// variables/ (m's checkpoints, restored into the export graph and saved
// with SaveV2) and assets.extra/maskgit.json. The export is built in a
// temporary directory next to outDir and renamed into place. m stays open.
func ExportModel(m *pipeline.Model, outDir string, opt ExportOptions) error {
	if err := checkOut(outDir, opt); err != nil {
		return err
	}
	tc := m.Tokenizer.Cfg
	cfg := ExportedConfig{
		Resolution: tc.Resolution, Grid: tc.Grid, Codes: tc.Codes, ImageRange: [2]float32{-1, 1}, Settings: m.Settings,
		Tokenizer: m.Tokenizer.Cfg, Transformer: m.Transformer.Cfg, MaskID: m.Transformer.Cfg.MaskID(),
		TokenizerCheckpoint: m.Tokenizer.Checkpoint, TransformerCheckpoint: m.Transformer.Checkpoint,
	}
	return exportConfig(cfg, outDir, opt)
}

// checkOut refuses an empty output path, or an existing one without
// Overwrite, before any work is done.
func checkOut(outDir string, opt ExportOptions) error {
	if outDir == "" {
		return errors.New("savedmodel export: empty output directory")
	}
	if _, err := os.Lstat(outDir); err == nil && !opt.Overwrite {
		return fmt.Errorf("savedmodel export: %s: %w (overwrite it explicitly)", outDir, os.ErrExist)
	}
	return nil
}

// exportGraph is the graph written to saved_model.pb plus what Export needs
// to fill its variables.
type exportGraph struct {
	graph      *tf.Graph
	def        *graphpb.GraphDef
	saver      saverOps
	signatures map[string]*pb.SignatureDef
	tokVars    []*tfmodel.Variable
	trVars     []*tfmodel.Variable
}

// buildExportGraph builds the tokenizer and the transformer into one graph
// with the SavedModel saver, and serialises it.
func buildExportGraph(tokCfg vqvae.Config, trCfg transformer.Config) (*exportGraph, error) {
	root := op.NewScope()
	tokVS := tfmodel.NewStore(0, tf.Float)
	trVS := tfmodel.NewStore(0, tf.Float)
	tp := vqvae.BuildPaths(root, tokVS, tokCfg)
	rp := transformer.BuildPaths(root, trVS, trCfg)
	sv := buildSaver(root, append(tokVS.All(), trVS.All()...))
	g, err := root.Finalize()
	if err != nil {
		return nil, fmt.Errorf("savedmodel export graph: %w", err)
	}
	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("savedmodel export graph: %w", err)
	}
	def := new(graphpb.GraphDef)
	if err := proto.Unmarshal(buf.Bytes(), def); err != nil {
		return nil, fmt.Errorf("savedmodel export graph: %w", err)
	}
	r, gr, n, k := tokCfg.Resolution, tokCfg.Grid, trCfg.Positions, trCfg.Codes
	sigs := map[string]*pb.SignatureDef{
		SigEncode: signatureDef(
			map[string]*pb.TensorInfo{InImages: tensorInfo(tp.Images, -1, r, r, 3)},
			map[string]*pb.TensorInfo{OutTokens: tensorInfo(tp.IDs, -1, gr, gr)}),
		SigDecode: signatureDef(
			map[string]*pb.TensorInfo{InTokens: tensorInfo(tp.Tokens, -1, gr, gr)},
			map[string]*pb.TensorInfo{OutImages: tensorInfo(tp.Decoded, -1, r, r, 3)}),
		SigLogits: signatureDef(
			map[string]*pb.TensorInfo{InTokens: tensorInfo(rp.Tokens, -1, n)},
			map[string]*pb.TensorInfo{OutLogits: tensorInfo(rp.Logits, -1, n, k)}),
	}
	return &exportGraph{graph: g, def: def, saver: sv, signatures: sigs, tokVars: tokVS.All(), trVars: trVS.All()}, nil
}

func signatureDef(in, out map[string]*pb.TensorInfo) *pb.SignatureDef {
	return &pb.SignatureDef{Inputs: in, Outputs: out, MethodName: MethodPredict}
}

// tensorInfo describes o with the given shape (-1: any size).
func tensorInfo(o tf.Output, dims ...int64) *pb.TensorInfo {
	shape := &shapepb.TensorShapeProto{}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &shapepb.TensorShapeProto_Dim{Size: d})
	}
	return &pb.TensorInfo{
		Encoding:    &pb.TensorInfo_Name{Name: tensorName(o)},
		Dtype:       types.DataType(o.DataType()),
		TensorShape: shape,
	}
}

// exportConfig builds the export graph, restores the checkpoints named in
// cfg and writes the SavedModel.
func exportConfig(cfg ExportedConfig, outDir string, opt ExportOptions) (err error) {
	tags := opt.Tags
	if len(tags) == 0 {
		tags = []string{TagServe}
	}
	eg, err := buildExportGraph(cfg.Tokenizer, cfg.Transformer)
	if err != nil {
		return err
	}
	// The restore savers read the training checkpoints; they are added after
	// the graph was serialised, so the SavedModel does not hold them.
	rs := op.NewScopeWithGraph(eg.graph)
	tokSaver := tfmodel.NewSaver(rs.SubScope("export_restore_tokenizer"), eg.tokVars)
	trSaver := tfmodel.NewSaver(rs.SubScope("export_restore_transformer"), eg.trVars)
	if _, err := rs.Finalize(); err != nil {
		return fmt.Errorf("savedmodel export graph: %w", err)
	}
	sess, err := tfmodel.NewSession(eg.graph, tfmodel.SessionOptions{Threads: opt.Threads})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := sess.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if err := tokSaver.Restore(sess, cfg.TokenizerCheckpoint); err != nil {
		return err
	}
	if err := trSaver.Restore(sess, cfg.TransformerCheckpoint); err != nil {
		return err
	}

	outDir = filepath.Clean(outDir)
	parent := filepath.Dir(outDir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("savedmodel export: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(outDir)+".tmp-")
	if err != nil {
		return fmt.Errorf("savedmodel export: %w", err)
	}
	defer func() {
		if rmErr := os.RemoveAll(tmp); rmErr != nil && err == nil {
			err = fmt.Errorf("savedmodel export: removing %s: %w", tmp, rmErr)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("savedmodel export: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(tmp, "variables"), 0o755); err != nil {
		return fmt.Errorf("savedmodel export: %w", err)
	}
	prefix, err := tf.NewTensor(filepath.Join(tmp, "variables", "variables"))
	if err != nil {
		return fmt.Errorf("savedmodel export: %w", err)
	}
	if _, err := sess.Run(map[tf.Output]*tf.Tensor{eg.saver.Filename: prefix}, []tf.Output{eg.saver.Save}, nil); err != nil {
		return fmt.Errorf("savedmodel export: saving variables: %w", err)
	}
	sm := &pb.SavedModel{
		SavedModelSchemaVersion: 1,
		MetaGraphs: []*pb.MetaGraphDef{{
			MetaInfoDef: &pb.MetaGraphDef_MetaInfoDef{
				Tags:              tags,
				TensorflowVersion: tf.Version(),
			},
			GraphDef:     eg.def,
			SaverDef:     eg.saver.saverDef(),
			SignatureDef: eg.signatures,
		}},
	}
	b, err := proto.Marshal(sm)
	if err != nil {
		return fmt.Errorf("savedmodel export: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(tmp, "saved_model.pb"), b, 0o644); err != nil {
		return fmt.Errorf("savedmodel export: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(tmp, "assets.extra"), 0o755); err != nil {
		return fmt.Errorf("savedmodel export: %w", err)
	}
	if err := atomicfile.WriteJSON(filepath.Join(tmp, "assets.extra", ConfigFile), cfg); err != nil {
		return fmt.Errorf("savedmodel export: %w", err)
	}
	if err := syncTree(tmp); err != nil {
		return fmt.Errorf("savedmodel export: %w", err)
	}
	return replaceDir(tmp, outDir, opt.Overwrite)
}
