# dnnc: the two commands of the README.
#   make demo   install missing Debian packages, build (Release), run dnnc's main job on the bundled model
#   make test   the same set-up, then the whole test suite through ctest
BUILD      ?= build
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
DNNC        = $(BUILD)/cli/dnnc
DATA        = test/data
# CI builds with -Werror; a user's build only warns.
ifdef CI
CMAKE_ARGS += -DDNNC_WERROR=ON
endif
PYTHON      = /usr/bin/python3

.PHONY: all deps configure build demo test test-asan clean ort zoo zoo-check

all: build

deps:
	@sh tools/deps.sh

# Configure once; later runs only rebuild what changed (ccache keeps objects across clean clones).
$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# ONNX Runtime (npm onnxruntime-node) is the reference runtime of the integration tests; they skip
# with a message where node/npm are absent.
ort:
	@sh tools/ort-install.sh $(BUILD)/ort

# torchvision models with random weights for the info/energy/benchmark checks; only where Debian's
# python3-torch is installed (the tests that need them skip with a message otherwise).
ZOO_MODELS = resnet18 resnet50 vgg16 mobilenet_v2 alexnet caffe_alexnet
zoo:
	@if $(PYTHON) -c "import torch, torchvision" 2>/dev/null; then \
	  missing=""; for m in $(ZOO_MODELS); do [ -f $(BUILD)/zoo/$$m.onnx ] || missing="$$missing $$m"; done; \
	  [ -z "$$missing" ] || $(PYTHON) tools/make_zoo.py --out $(BUILD)/zoo --keep-bn $$missing; \
	else echo "dnnc: python3-torch not installed: skipping the torchvision zoo (its checks will be skipped)" >&2; fi

# The large zoo models (vit_b_16, swin_t, convnext_tiny, deeplabv3) against PyTorch's outputs: minutes,
# so not part of `make test` (their Catch2 tag [.zoo-full] is hidden).
zoo-check: build
	$(BUILD)/test/integration "[zoo-full]"

demo: build
	@sh tools/demo.sh $(DNNC) $(BUILD)/demo

test: build ort zoo
	cd $(BUILD) && ctest --output-on-failure -j 2 --timeout 1200
	@$(MAKE) --no-print-directory test-asan

# The bad-input CLI tests and the codec tests again, under AddressSanitizer and UBSan.
test-asan: deps
	cmake -S . -B $(BUILD)-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDNNC_SANITIZE=ON -DDNNC_NATIVE=OFF $(CMAKE_ARGS)
	cmake --build $(BUILD)-asan -j $(JOBS) --target dnnc unit_formats cli
	cd $(BUILD)-asan && ctest --output-on-failure -j 2 -L 'cli|unit_formats' --timeout 1200 -E '$(ASAN_SKIP)'

# CLI tests that run whole data sets through the executor, training or sensitivity sweeps: minutes each in
# an unoptimised sanitizer build and nothing that the bad-input and round-trip tests do not already reach.
ASAN_SKIP = compare reports|reproduces|published|eval --reference|infer writes|stats counts|sensitivity matches|--activations|--energy-aware writes|unreachable target|decompose on LeNet

clean:
	rm -rf $(BUILD) $(BUILD)-asan
