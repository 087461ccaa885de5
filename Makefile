# dnnc: the two commands of the README.
#   make demo   install missing Debian packages, build (Release), run dnnc's main job on the bundled model
#   make test   the same set-up, then the whole test suite through ctest
#   make install PREFIX=~/.local   build what an install needs, then cmake --install into PREFIX
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
PREFIX     ?= /usr/local
# ccache: paths under the source tree are hashed relative to it, and the working directory is not hashed
# (the Debug/ASan build has -g), so a clean clone at another path (CI) hits the objects of an earlier one.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1

.PHONY: all deps deps-test configure build demo install test test-asan clean ort zoo zoo-check

all: build

# What the build needs; deps-test adds the references of the tests (tools/deps.sh says which). Two targets
# in a chain, so that a parallel make never runs two apt-gets at once.
deps:
	@sh tools/deps.sh build
deps-test: deps
	@sh tools/deps.sh test

# Configure once; later runs only rebuild what changed (ccache keeps objects across clean clones).
$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# ONNX Runtime (npm onnxruntime-node) is the reference runtime of the integration tests. Where npm is on
# PATH its checks fail when it is missing; only where npm is absent do they skip with a message.
ort: deps-test
	@sh tools/ort-install.sh $(BUILD)/ort

# torchvision models with random weights, BatchNormalization kept, with PyTorch's outputs on a seeded
# input: make_zoo.py's default set plus the models the tests name beyond it (info's published figures).
# Only what is missing is exported. Where Debian has no python3-torch, the checks that need them skip.
ZOO_EXTRA = resnet50 vgg16 alexnet
ZOO = $(PYTHON) tools/make_zoo.py --out $(BUILD)/zoo --keep-bn --missing
zoo: deps-test
	@if $(PYTHON) -c "import torch, torchvision, onnx" 2>/dev/null; then \
	  $(ZOO) --default-set && $(ZOO) $(ZOO_EXTRA); \
	else echo "dnnc: python3-torch not available: skipping the torchvision zoo (its checks will be skipped)" >&2; fi

# Every zoo model (the large ones: vit_b_16, swin_t, convnext_tiny, deeplabv3, ...) against PyTorch's
# outputs: minutes, so not part of `make test` (their Catch2 tag [.zoo-full] is hidden).
zoo-check: build ort zoo
	$(ZOO)
	$(BUILD)/test/integration "[zoo-full]"

# The demo needs only the binary (make test builds the rest).
demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target dnnc
	@sh tools/demo.sh $(DNNC) $(BUILD)/demo

# The binary, man pages, shell completions and libdnnc with its CMake package (cmake/install.cmake);
# not the tests.
install: configure
	cmake --build $(BUILD) -j $(JOBS) --target dnnc_installable
	cmake --install $(BUILD) --prefix $(PREFIX)

test: build ort zoo
	cd $(BUILD) && ctest --output-on-failure -j 2 --timeout 1200
	@$(MAKE) --no-print-directory test-asan

# The bad-input CLI tests and the codec tests again, under AddressSanitizer and UBSan, with the same ONNX
# Runtime and zoo as the main build.
test-asan: deps
	cmake -S . -B $(BUILD)-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDNNC_SANITIZE=ON -DDNNC_NATIVE=OFF $(CMAKE_ARGS)
	@for d in ort zoo; do [ ! -d $(BUILD)/$$d ] || [ -e $(BUILD)-asan/$$d ] || ln -s $(abspath $(BUILD))/$$d $(BUILD)-asan/$$d; done
	cmake --build $(BUILD)-asan -j $(JOBS) --target dnnc unit_formats cli
	cd $(BUILD)-asan && ctest --output-on-failure -j 2 -L 'cli|unit_formats' --timeout 1200 -E '$(ASAN_SKIP)'

# CLI tests that run whole data sets through the executor, training, sensitivity or NetAdapt sweeps, or a 2.25 GiB
# model: minutes each in an unoptimised sanitizer build and nothing that the bad-input and round-trip tests
# do not already reach.
ASAN_SKIP = compare reports|reproduces|published|eval --reference|infer writes|stats counts|sensitivity matches|--activations|--energy-aware writes|unreachable target|decompose on LeNet|2.25 GiB model|compress (keeps|towards|stopped|stops|exits|retrains|judges|stretches|proposes|--techniques)|snapea on the zoo|--snapea-budget on lenet5|report renders (compare|NetAdapt)

clean:
	rm -rf $(BUILD) $(BUILD)-asan
