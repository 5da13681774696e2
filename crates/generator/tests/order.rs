//! `render` output is byte-identical whatever order the Package files come in.

mod support;

use support::{example_files, path_str, run};

#[test]
fn example_files_in_any_order_render_identically() {
    let files: Vec<String> = example_files().iter().map(|p| path_str(p)).collect();
    let render = |files: &[String]| {
        let mut args = vec!["render"];
        args.extend(files.iter().map(String::as_str));
        let out = run(&args, None);
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
    };
    let forward = render(&files);
    // Identical empty outputs would prove nothing: every example contributes objects.
    assert!(files.len() > 3, "{files:?}");
    assert!(
        forward.matches("\nkind: ").count() >= files.len(),
        "{forward}"
    );
    let mut reversed = files.clone();
    reversed.reverse();
    assert_eq!(forward, render(&reversed));
    let mut rotated = files.clone();
    rotated.rotate_left(3);
    assert_eq!(forward, render(&rotated));
    // Everything in one stream from stdin gives the same bytes too.
    let joined: String = files
        .iter()
        .map(|f| format!("---\n{}\n", std::fs::read_to_string(f).unwrap()))
        .collect();
    assert_eq!(forward, run(&["render", "-"], Some(&joined)).stdout);
}
